/** What a runbook is given and what it reports: shared by the incident, the interpreter and the activities. */
import type { Scenario, Severity } from './types';

export interface RunbookSettings {
  settleMs: number;
  memoryThresholdPercent: number;
  recurrenceWindowMs: number;
  sampleEveryMs: number;
  restartBudget: number;
  restartWindowMs: number;
  rollbackWindowMs: number;
  targetPoolSize: number;
  memoryLimitFactor: number;
  stopTimeoutSeconds: number;
}

export interface RunbookInput {
  incidentId: string;
  parentWorkflowId: string;
  service: string;
  scenario: Scenario;
  severity: Severity;
  /** How long a proposal may wait for approve/reject before the incident escalates. */
  respondWithinMs: number;
  dryRun: boolean;
  target: RunbookTarget;
  settings: RunbookSettings;
}

/** What a runbook operates on, from the service's configuration. */
export interface RunbookTarget {
  /** The container, or for a Deployment on Kubernetes `namespace/deployment`. */
  container: string;
  /** Absent: a container on the Docker Engine (every incident opened before Kubernetes targets). */
  platform?: 'kubernetes';
  databaseContainer: string | null;
  /** Name of the environment variable holding the database URL (the URL itself never enters history). */
  databaseUrlEnv: string | null;
  healthUrls: string[];
}

export interface RunbookOutcome {
  scenario: Scenario;
  cause: string;
  result: 'mitigated' | 'escalated' | 'dry-run' | 'nothing-to-do' | 'failed';
  summary: string;
  actions: string[];
}
