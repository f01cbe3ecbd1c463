/**
 * What a runbook step needs of the platform its service runs on, so the interpreter has no platform
 * branches: whether a step can run here (and what it will change), the change itself made effectively once
 * and waited for, and how to keep a raised limit across the next deploy. One implementation per platform
 * (`docker-platform.ts`, `kubernetes-platform.ts`), over the activities of `activities/platform/docker/` and
 * `activities/platform/kubernetes/`; each keeps the clock its activities compare with (the engine's, or the
 * workflow's for Kubernetes, whose stamp a retried rollout restart finds on the Deployment).
 */
import type { StepDefinition } from '../../domain/runbook-definition';
import type { RunbookInput } from './session';

export interface Platform {
  /** Why `step` cannot run on this target at all (then a human takes over); null when it can. */
  unusable(step: StepDefinition): Promise<string | null>;
  /** The change `step` makes, through the activities that make it effectively once. */
  change(step: StepDefinition): Promise<{ action: string; detail: string }>;
  /** After a raised memory limit: the change to the deploy files that keeps it, as a finding. */
  suggestKeepingLimit(): Promise<void>;
}

/** What a platform may use of the interpreter's run: its input, the facts so far, and its findings. */
export interface PlatformContext {
  input: RunbookInput;
  /** A step's template values filled from the facts and settings. */
  fill(values: Record<string, string>): Record<string, string>;
  /** The factor a `raise-memory-limit` step raises by (its own, else the settings'). */
  factorOf(step: { factor?: number }): number;
  finding(message: string, evidence?: string[]): Promise<void>;
}
