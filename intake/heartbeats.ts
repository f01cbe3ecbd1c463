/**
 * Beats of the configured heartbeats (`heartbeats.<name>`), from `POST /heartbeats/<name>` and from
 * always-firing alerts (`routing.heartbeatAlertnames`). A beat is a signal-with-start of the heartbeat's
 * workflow; a resend storm costs bytes, not signals: a heartbeat signalled within the last quarter of its
 * interval (at most a minute) is not signalled again by this replica.
 */
import type { Client } from '@temporalio/client';
import type { RunbooksConfig } from '../config';
import { heartbeatSignal, heartbeatWorkflowId, type HeartbeatSettings } from '../domain/messages';
import { ownValue } from '../domain/policy';
import type { SourceAlert } from '../domain/types';
import type { IntakeAction } from './alerts';
import { TASK_QUEUE } from '../config/task-queue';

const MAX_QUIET_MS = 60_000;

export function heartbeatSettings(config: RunbooksConfig, name: string): HeartbeatSettings | undefined {
  const h = ownValue(config.heartbeats, name);
  return h && { name, intervalMs: h.interval, graceMs: h.grace, service: h.service, severity: h.severity };
}

/**
 * The heartbeat an always-firing alert beats: the one its `heartbeat` label names, else the one named as its
 * service, else the first whose `service` is its service.
 */
export function heartbeatOfAlert(
  config: RunbooksConfig,
  alert: SourceAlert,
  service: string,
): string | undefined {
  const named = alert.labels.heartbeat;
  if (typeof named === 'string' && ownValue(config.heartbeats, named)) return named;
  if (ownValue(config.heartbeats, service)) return service;
  return Object.entries(config.heartbeats).find(([, h]) => h.service === service)?.[0];
}

/** Whether an alert is a sender's heartbeat rather than a problem. */
export function isHeartbeatAlert(config: RunbooksConfig, alert: SourceAlert): boolean {
  const name = alert.labels.alertname;
  return typeof name === 'string' && config.routing.heartbeatAlertnames.includes(name);
}

export class HeartbeatBeats {
  private readonly signalled = new Map<string, number>();

  constructor(
    private readonly deps: {
      client: Client;
      config: RunbooksConfig;
      withTemporal: <T>(fn: () => Promise<T>) => Promise<T>;
      taskQueue?: string;
      now: () => number;
    },
  ) {}

  /** A beat of a configured heartbeat: signalled, or deduplicated within its quiet time. */
  async beat(name: string): Promise<'signalled' | 'deduplicated'> {
    const settings = heartbeatSettings(this.deps.config, name)!;
    const now = this.deps.now();
    const quiet = Math.min(settings.intervalMs / 4, MAX_QUIET_MS);
    const last = this.signalled.get(name);
    if (last !== undefined && now - last < quiet) return 'deduplicated';
    await this.deps.withTemporal(() =>
      this.deps.client.workflow.signalWithStart('heartbeatWorkflow', {
        workflowId: heartbeatWorkflowId(name),
        taskQueue: this.deps.taskQueue ?? TASK_QUEUE,
        args: [{ settings }],
        signal: heartbeatSignal,
        signalArgs: [{ ...settings, at: now }],
      }),
    );
    this.signalled.set(name, now);
    return 'signalled';
  }
}

/**
 * The heartbeat alerts of a post, taken out of it: the heartbeats their firing ones beat, the alertnames that
 * beat no configured heartbeat (said in the answer, never an incident), and what is left to dispatch (null:
 * nothing).
 */
export function splitHeartbeats(
  config: RunbooksConfig,
  action: IntakeAction,
): { beats: string[]; unmatched: string[]; rest: IntakeAction | null } {
  const alerts = action.input.alerts ?? [];
  const heartbeats = alerts.filter((a) => isHeartbeatAlert(config, a));
  if (!heartbeats.length) return { beats: [], unmatched: [], rest: action };
  const beats = new Set<string>();
  const unmatched = new Set<string>();
  for (const alert of heartbeats) {
    if (alert.status !== 'firing') continue;
    const name = heartbeatOfAlert(config, alert, action.input.service);
    if (name) beats.add(name);
    else unmatched.add(String(alert.labels.alertname));
  }
  const others = alerts.filter((a) => !isHeartbeatAlert(config, a));
  const rest = others.length ? { ...action, input: { ...action.input, alerts: others } } : null;
  return { beats: [...beats], unmatched: [...unmatched], rest };
}
