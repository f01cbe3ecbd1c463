/**
 * Pure decisions of the incident workflow. No I/O and no clock: callers pass `now`, so these run the
 * same in the workflow sandbox, the intake and unit tests.
 */
import type { IncidentInput, IncidentStatus, PageRecord, Scenario, Severity, SourceAlert } from './types';
import { SCENARIO_NAME, SEVERITIES } from './types';
import { onCallAt, type OnCallSchedule, type Override } from './oncall';

export interface SeverityRule {
  respondWithinMs: number;
  notify: 'page' | 'slack' | 'ticket';
  escalate: boolean;
  notifyManagement: boolean;
  statusUpdateEveryMs: number | null;
  /** Acknowledged but unresolved this long: alert again. Null: never. (Absent in older policies.) */
  ackTimeoutMs?: number | null;
  /** Revision 7: pages wait for the paged schedule's business hours (absent in older policies: never). */
  businessHoursOnly?: boolean;
}

export interface LadderLevel {
  name: string;
  /** Fixed contacts; with a schedule, the ones paged when the schedule has nobody on call. */
  contactIds: string[];
  contactNames: string[];
  /**
   * Whoever is on call at the instant of each page (absent in older policies and fixed levels); `people`
   * names every contact, as an override may hand the pager to anyone.
   */
  schedule?: OnCallSchedule & { people: { id: string; name: string }[] };
  /**
   * Revision 6 (a policy rule's targets): whoever is on call in each of these is paged, and every contact
   * beside them (not as a fallback).
   */
  schedules?: (OnCallSchedule & { name: string; people: { id: string; name: string }[] })[];
  /** Revision 6: how long after this level's page, unacknowledged, the next is due (absent: respondWithin). */
  delayMs?: number;
}

/** A walk of levels: the configuration's ladder, or a policy's (per severity, revision 6). */
export interface PolicyLadder {
  ladder: LadderLevel[];
  repeat: number;
  /**
   * Once the ladder and its repeats are walked: page the last level again at the severity's cadence, or
   * stop and say so. Absent in policies of runs recorded before it existed: they stopped.
   */
  afterLadder?: 'repeat-last' | 'stop';
}

/** What the workflow needs of the configuration, resolved for one service (no secrets). */
export interface IncidentPolicy extends PolicyLadder {
  severity: Record<Severity, SeverityRule>;
  /**
   * The engine rules the run was opened under (absent: 1). Revision 2: the ladder's end is stated, alerts
   * raise the severity, a raise brings its opening duties, a failed Slack notice falls back to a page.
   * Carried in the policy, which history records, so a replay takes the rules its run took.
   */
  revision?: number;
  /** The escalation policy the ladder came from, and the service's team (absent in older policies). */
  escalationPolicy?: string;
  team?: string;
  /** Revision 6: the policy's other ladders for incidents of a severity, followed as the severity changes. */
  bySeverity?: Partial<Record<Severity, PolicyLadder>>;
  security: LadderLevel;
  management: LadderLevel;
  service: { customerFacing: boolean; healthUrls: string[]; dryRun: boolean };
  /** Absent in policies loaded by older workflow code. */
  history?: {
    continueAsNewAfterEvents: number;
    continueAsNewAfterBytes?: number;
    keepTimelineEntries: number;
    keepAlerts: number;
  };
  stabilityWatchMs: number;
  checkEveryMs: number;
  /** How often a suppressed incident asks whether its maintenance window ended early (absent in old policies). */
  maintenanceCheckEveryMs?: number;
  reviewDirectory: string;
  reviewReminderAfterMs: number;
  /** Revision 8: the review meeting proposed at close (absent in older policies). */
  reviewMeeting?: { afterMs: number; durationMs: number; remindCommanderAfterMs: number };
  ticketsEnabled: boolean;
  /**
   * Whether the scenario asked for is built in or defined (absent in older policies, and when no scenario
   * was asked): a name that is neither runs as `health`, and the incident says so.
   */
  knownScenario?: boolean;
  statusPageEnabled: boolean;
  /** `publicStatus.firstMessage` (absent in older policies: the default). */
  statusFirstMessage?: string;
  /** Present when the service has a container the runbooks can operate on. */
  runbook: {
    dryRun: boolean;
    target: import('./runbook').RunbookTarget;
    settings: import('./runbook').RunbookSettings;
    /** The runbook definition of the incident's scenario, frozen here (absent: a built-in runbook, or none). */
    definition?: import('./runbook-definition').RunbookDefinition | null;
  } | null;
}

/** The engine revision new runs take unless the configuration names another (see `IncidentPolicy.revision`). */
export const ENGINE_REVISION = 8;
/**
 * The newest revision this code runs. 3: the loop does not act on a command until every handler has finished,
 * so an Update's answer is recorded before what the incident does about it (docs/containment.md); known since
 * 3004553, the default since the release after it. 4: the incident writes every timeline entry and page to
 * the system of record in a lane of its own, and its review is built from there (docs/store.md); known since
 * the release after 3004553. 5: as 4, but where the worker running the incident holds the store, the loop
 * writes it as a local activity when it has nothing else to do (the lane when that fails): known since the
 * release after 1cbc73d (3df64e9), the default since the release after that, its CPU within budget
 * (docs/benchmarks.md). Revision 4 stays known, for runs that took it and configurations that name it.
 * 6: as 5, and escalation policies are paged as written: a level's own delay, levels that page several
 * schedules with contacts beside them, ladders per severity (docs/escalation.md), and snooze; known since the
 * release after 17b57c4 (d1b3904), the default since the release after that. 7: as 6, and responders can be
 * added (the `page` command): each paged on its own ladder beside the incident's until someone from it
 * acknowledges (docs/escalation.md), with roles, reassign and business hours; known since the release after
 * d1b3904 (3b19c91), the default since the release after that. 8: as 7, and the review meeting is proposed at
 * close to everyone who responded, with an iCalendar invitation, and the commander reminded when nobody
 * confirmed it (docs/escalation.md); known since the release after 3b19c91 (b300e82), the default since the release
 * after that. 9: as 8, and each paged person is reached by their notification rules (channels now, follow-ups
 * later unless the incident is owned by then: domain/notification-rules.ts); known since the release after b300e82.
 */
export const LATEST_ENGINE_REVISION = 9;

/**
 * A record's own value for a key that came from outside (a label, a header, a signal). Plain indexing
 * would answer inherited members for `constructor`, `__proto__` or `toString`, and a function where a
 * string was expected wedges the workflow task that receives it.
 */
export function ownValue<T>(record: Readonly<Record<string, T>>, key: string | undefined): T | undefined {
  return key !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
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
    const mapped = ownValue(opts.severityByLabel, word?.trim().toLowerCase());
    // Config is validated, but a value that is not a severity must never leave this function.
    if (mapped && (SEVERITIES as readonly string[]).includes(mapped)) return mapped;
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

/** Longest service name or summary kept from a start input; search attributes and pages stay small. */
const MAX_NAME = 200;
const MAX_SUMMARY = 2000;

/**
 * The start input as the workflow may trust it. Anyone who can reach Temporal can start an incident, and
 * a field the workflow cannot use must not stop it from paging: an unknown severity pages as P1 (the
 * safe side), an unknown scenario runs the generic health runbook, and each substitution is reported.
 */
export function normalizeIncidentInput(input: Partial<Record<keyof IncidentInput, unknown>>): {
  input: IncidentInput;
  problems: string[];
} {
  const problems: string[] = [];
  const text = (value: unknown, field: string, fallback: string, max: number): string => {
    if (typeof value === 'string' && value.trim()) return value.trim().slice(0, max);
    problems.push(
      `${field} ${JSON.stringify(value ?? null)?.slice(0, 80)} is not a text: using "${fallback}"`,
    );
    return fallback;
  };
  const severity = parseSeverity(input.severity);
  if (!severity)
    problems.push(
      `severity ${JSON.stringify(input.severity ?? null)?.slice(0, 80)} is not P1, P2 or P3: paging as P1`,
    );
  const scenario =
    typeof input.scenario === 'string' && SCENARIO_NAME.test(input.scenario)
      ? (input.scenario as Scenario)
      : undefined;
  if (!scenario)
    problems.push(
      `scenario ${JSON.stringify(input.scenario ?? null)?.slice(0, 80)} is not a scenario name: using "health"`,
    );
  const service = text(input.service, 'service', 'unknown-service', MAX_NAME);
  return {
    input: {
      dedupKey: text(input.dedupKey, 'dedupKey', service, 500),
      service,
      scenario: scenario ?? 'health',
      severity: severity ?? 'P1',
      summary: text(input.summary, 'summary', `alert for ${service}`, MAX_SUMMARY),
      security: input.security === true,
      ...(typeof input.routedBy === 'string' && input.routedBy.trim()
        ? { routedBy: input.routedBy.trim().slice(0, 500) }
        : {}),
      ...(typeof input.declaredBy === 'string' && input.declaredBy.trim()
        ? { declaredBy: input.declaredBy.trim().slice(0, MAX_NAME) }
        : {}),
      ...(Array.isArray(input.alerts) ? { alerts: input.alerts.filter(isSourceAlert) } : {}),
    },
    problems,
  };
}

/** A source alert the workflow can fold in: the fields it reads have the types it expects. */
export function isSourceAlert(value: unknown): value is SourceAlert {
  const a = value as Partial<SourceAlert> | null;
  return (
    typeof a === 'object' &&
    a !== null &&
    typeof a.fingerprint === 'string' &&
    (a.status === 'firing' || a.status === 'resolved') &&
    typeof a.summary === 'string' &&
    typeof a.labels === 'object' &&
    a.labels !== null
  );
}

/** Every PagerDuty alert the incident's pages opened, once each: what acknowledge and resolve must reach. */
export function pagedAlerts(
  pages: readonly PageRecord[],
  incidentId: string,
): { contactId: string; dedupKey: string }[] {
  const seen = new Set<string>();
  const alerts: { contactId: string; dedupKey: string }[] = [];
  for (const page of pages) {
    if (page.channel !== 'page') continue;
    for (const contactId of page.contactIds) {
      const dedupKey = page.dedupKey ?? incidentId;
      const key = JSON.stringify([contactId, dedupKey]);
      if (seen.has(key)) continue;
      seen.add(key);
      alerts.push({ contactId, dedupKey });
    }
  }
  return alerts;
}

/**
 * The people a level pages at `now`: the schedule's on-call when the level has a schedule and someone is on
 * call, else its fixed contacts. `onCall` says which schedule layer answered, for the timeline.
 */
export function levelAt(
  level: LadderLevel,
  now: number,
  overrides: readonly Override[] = [],
): LadderLevel & { onCall?: string } {
  if (!level.schedule) return level;
  const who = onCallAt(level.schedule, now, overrides);
  if (!who) return { ...level, onCall: `nobody on call in schedule ${level.schedule.name}` };
  const name = level.schedule.people.find((p) => p.id === who.contactId)?.name ?? who.contactId;
  return {
    ...level,
    contactIds: [who.contactId],
    contactNames: [name],
    onCall: `on call in schedule ${level.schedule.name} (${who.layer})`,
  };
}

/** The schedules whose overrides a page of `level` needs. */
export function levelSchedules(level: LadderLevel): string[] {
  return level.schedules ? level.schedules.map((s) => s.name) : level.schedule ? [level.schedule.name] : [];
}

/**
 * The people a level pages at `now`, for any level: a revision-6 level pages its contacts and the on-call of
 * each of its schedules (a schedule with nobody on call is named, and the others still paged).
 */
export function levelReachedAt(
  level: LadderLevel,
  now: number,
  overridesOf: (schedule: string) => readonly Override[],
): LadderLevel & { onCall?: string } {
  if (!level.schedules) return levelAt(level, now, level.schedule ? overridesOf(level.schedule.name) : []);
  const ids = [...level.contactIds];
  const names = [...level.contactNames];
  const said: string[] = [];
  for (const schedule of level.schedules) {
    const who = onCallAt(schedule, now, overridesOf(schedule.name));
    if (!who) {
      said.push(`nobody on call in schedule ${schedule.name}`);
      continue;
    }
    said.push(`on call in schedule ${schedule.name} (${who.layer})`);
    if (ids.includes(who.contactId)) continue;
    ids.push(who.contactId);
    names.push(schedule.people.find((p) => p.id === who.contactId)?.name ?? who.contactId);
  }
  return { ...level, contactIds: ids, contactNames: names, onCall: said.join('; ') };
}
