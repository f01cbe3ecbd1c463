/**
 * Pure decisions of the incident workflow. No I/O and no clock: callers pass `now`, so these run the
 * same in the workflow sandbox, the intake and unit tests.
 */
import type { IncidentStatus, Severity, SourceAlert } from './types';
import { SEVERITIES } from './types';

export interface SeverityRule {
  respondWithinMs: number;
  notify: 'page' | 'slack' | 'ticket';
  escalate: boolean;
  notifyManagement: boolean;
  statusUpdateEveryMs: number | null;
}

export interface LadderLevel {
  name: string;
  contactIds: string[];
  contactNames: string[];
}

/** What the workflow needs of the configuration, resolved for one service (no secrets). */
export interface IncidentPolicy {
  severity: Record<Severity, SeverityRule>;
  ladder: LadderLevel[];
  repeat: number;
  security: LadderLevel;
  management: LadderLevel;
  service: { customerFacing: boolean; healthUrls: string[]; dryRun: boolean };
  stabilityWatchMs: number;
  checkEveryMs: number;
  reviewDirectory: string;
  reviewReminderAfterMs: number;
  ticketsEnabled: boolean;
  statusPageEnabled: boolean;
  /** Present when the service has a container the runbooks can operate on. */
  runbook: {
    dryRun: boolean;
    target: import('./runbook').RunbookTarget;
    settings: import('./runbook').RunbookSettings;
  } | null;
}

export function parseSeverity(value: unknown): Severity | undefined {
  if (typeof value !== 'string') return undefined;
  const upper = value.trim().toUpperCase();
  return (SEVERITIES as readonly string[]).includes(upper) ? (upper as Severity) : undefined;
}

/**
 * Severity of a new alert: the service's override wins, then an explicit P1–P3, then the `severity`
 * label mapped through config (critical → P1 …), then the default.
 */
export function classifySeverity(opts: {
  explicit?: string;
  label?: string;
  serviceOverride?: Severity;
  severityByLabel: Record<string, Severity>;
  defaultSeverity: Severity;
}): Severity {
  if (opts.serviceOverride) return opts.serviceOverride;
  const explicit = parseSeverity(opts.explicit) ?? parseSeverity(opts.label);
  if (explicit) return explicit;
  for (const word of [opts.explicit, opts.label]) {
    const mapped = word ? opts.severityByLabel[word.trim().toLowerCase()] : undefined;
    if (mapped) return mapped;
  }
  return opts.defaultSeverity;
}

/** Which ladder level the n-th page (0-based) goes to, or null once the ladder and its repeats are spent. */
export function escalationStep(
  ladderLength: number,
  repeat: number,
  step: number,
): { level: number; round: number } | null {
  if (ladderLength <= 0 || step < 0) return null;
  const round = Math.floor(step / ladderLength);
  if (round > repeat) return null;
  return { level: step % ladderLength, round };
}

export function escalationReason(
  step: number,
  levelName: string,
  respondWithinMs: number,
  round: number,
): string {
  if (step === 0) return `new incident: notifying ${levelName}`;
  const waited = formatElapsed(respondWithinMs);
  return round > 0
    ? `no acknowledgement within ${waited}: ladder repeat ${round}, paging ${levelName}`
    : `no acknowledgement within ${waited}: escalating to ${levelName}`;
}

/** A signal's action is allowed only in some states; the answer is why not, or null when allowed. */
export function whyIgnored(
  action: 'acknowledge' | 'resolve' | 'escalate' | 'setSeverity',
  status: IncidentStatus,
): string | null {
  if (status === 'resolved') return `incident is already resolved`;
  switch (action) {
    case 'acknowledge':
      if (status === 'acknowledged' || status === 'mitigating') return 'incident is already acknowledged';
      if (status === 'monitoring') return 'incident is being monitored after resolve';
      return null;
    case 'resolve':
      return status === 'monitoring' ? 'resolution is already being verified' : null;
    case 'escalate':
      return status === 'monitoring' ? 'incident is being monitored after resolve' : null;
    case 'setSeverity':
      return null;
  }
}

export type AlertChange = 'new' | 'repeat' | 'resolved' | 'refired';

/** Folds incoming source alerts into the known ones, saying what each one changed. */
export function mergeAlerts(
  known: readonly SourceAlert[],
  incoming: readonly SourceAlert[],
): { alerts: SourceAlert[]; changes: { alert: SourceAlert; change: AlertChange }[] } {
  const byFingerprint = new Map(known.map((a) => [a.fingerprint, a]));
  const changes: { alert: SourceAlert; change: AlertChange }[] = [];
  for (const alert of incoming) {
    const before = byFingerprint.get(alert.fingerprint);
    let change: AlertChange;
    if (!before) change = alert.status === 'resolved' ? 'resolved' : 'new';
    else if (before.status === alert.status) change = 'repeat';
    else change = alert.status === 'resolved' ? 'resolved' : 'refired';
    byFingerprint.set(alert.fingerprint, alert);
    changes.push({ alert, change });
  }
  return { alerts: [...byFingerprint.values()], changes };
}

export function allAlertsResolved(alerts: readonly SourceAlert[]): boolean {
  return alerts.length > 0 && alerts.every((a) => a.status === 'resolved');
}

/** "15:00", "1:00:00": elapsed time since the incident opened, as the tests and the review show it. */
export function formatElapsed(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
}

/** The earliest of the given instants, ignoring missing ones. */
export function earliest(...instants: (number | null | undefined)[]): number | null {
  const present = instants.filter((t): t is number => typeof t === 'number');
  return present.length ? Math.min(...present) : null;
}
