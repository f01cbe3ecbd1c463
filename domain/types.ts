/** Shared shapes of the incident workflow: its input, its state as seen by `status`, its timeline. */
export type Severity = 'P1' | 'P2' | 'P3';
export const SEVERITIES: readonly Severity[] = ['P1', 'P2', 'P3'];
/** The scenarios that ship with a definition (`runbooks/*.yaml`, required); others name a definition of their own. */
export type BuiltInScenario = 'wont-start' | 'high-memory' | 'pool-exhausted' | 'health';
export const BUILT_IN_SCENARIOS: readonly BuiltInScenario[] = [
  'wont-start',
  'high-memory',
  'pool-exhausted',
  'health',
];
/** A built-in scenario or the name of a runbook definition (`runbooks/*.yaml`). */
export type Scenario = string;
export const SCENARIO_NAME = /^[a-z][a-z0-9-]{0,62}$/;
/** `suppressed`: opened during the service's maintenance window; nobody paged until it ends. */
export const INCIDENT_STATUSES = [
  'suppressed',
  'triggered',
  'acknowledged',
  'mitigating',
  'monitoring',
  'resolved',
  'cancelled',
] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

/** One source alert as the intake normalised it (Alertmanager, Grafana or generic). */
export interface SourceAlert {
  /** Stable id of the alert inside its group (Alertmanager fingerprint, or the dedup key). */
  fingerprint: string;
  status: 'firing' | 'resolved';
  summary: string;
  labels: Record<string, string>;
  startsAt?: string;
  endsAt?: string;
  source: 'alertmanager' | 'grafana' | 'generic';
  url?: string;
  /** Where a responder looks next, as the sender gave them (http(s) only; absent from older intakes). */
  links?: AlertLinks;
  /** The severity the intake classified this alert as (absent from older intakes): a higher one raises the incident. */
  severity?: Severity;
}

export interface AlertLinks {
  /** The rule or query that fired (Alertmanager's and Grafana's `generatorURL`). */
  source?: string;
  dashboard?: string;
  panel?: string;
  /** A new silence for this alert's labels (Grafana's `silenceURL`, or built on Alertmanager's `externalURL`). */
  silence?: string;
}

export interface IncidentInput {
  dedupKey: string;
  service: string;
  scenario: Scenario;
  severity: Severity;
  summary: string;
  security: boolean;
  /** How the intake chose the service when no label named it plainly (the timeline shows it). */
  routedBy?: string;
  /** Opened by a person, not an alert (`incident declare`): who. Never suppressed by maintenance. */
  declaredBy?: string;
  /** Alerts that arrived with the start (signalWithStart carries the first one as a signal too). */
  alerts?: SourceAlert[];
  /** The incident's state, carried by continue-as-new into the next run (never set by callers). */
  carried?: unknown;
}

export type TimelineType =
  | 'opened'
  | 'alert'
  | 'page'
  | 'notified'
  | 'acknowledged'
  | 'escalated'
  | 'severity'
  | 'note'
  | 'ticket'
  | 'status-page'
  | 'status-update'
  | 'health'
  | 'monitoring'
  | 'reopened'
  | 'resolved'
  | 'review'
  | 'approval'
  | 'finding'
  | 'action'
  | 'runbook'
  | 'ignored'
  | 'error';

export interface TimelineEntry {
  /** ISO time, workflow clock. */
  at: string;
  type: TimelineType;
  actor?: string;
  message: string;
}

export interface PageRecord {
  at: string;
  /** Ladder level, 0-based; -1 for the security team, -2 for management. */
  level: number;
  levelName: string;
  contactIds: string[];
  contacts: string[];
  channel: 'page' | 'slack';
  reason: string;
  delivered: boolean;
  /** PagerDuty dedup key of this page (pages before per-page keys used the incident id). */
  dedupKey?: string;
  /** Ladder round (0 the first walk, then repeats). */
  round?: number;
  /** Sequence number within the incident. */
  seq?: number;
}

export interface PendingApproval {
  step: string;
  proposal: string;
  requestedAt: string;
}

/** An incident's row in the system of record: its current fields. */
export interface IncidentRecord {
  id: string;
  workflowId: string;
  service: string;
  severity: string;
  scenario: string;
  summary: string;
  status: string;
  createdAt: string;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  resolvedAt: string | null;
  resolvedBy: string | null;
  /** When these fields were true: an older write arriving late never overwrites a newer one. */
  updatedAt: string;
  /** The team whose escalation policy the incident follows (absent from older workers: kept as it was). */
  team?: string | null;
  /** Who holds the incident's roles (revision 7; absent from older workers: kept as it was). */
  roles?: IncidentRoles | null;
}

export interface IncidentStatusView {
  incidentId: string;
  workflowId: string;
  dedupKey: string;
  service: string;
  scenario: Scenario;
  severity: Severity;
  summary: string;
  security: boolean;
  status: IncidentStatus;
  createdAt: string;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  resolvedAt: string | null;
  resolvedBy: string | null;
  resolutionSummary: string | null;
  /** The team whose escalation policy it follows (absent in old runs' views). */
  team?: string | null;
  /** The Slack announcement's link, when Slack gave one (absent in old runs' views). */
  slackThread?: string | null;
  escalationLevel: number;
  ladderRound: number;
  paged: PageRecord[];
  nextEscalationAt: string | null;
  /** While triggered with nobody left to page: when and why the ladder ended (absent in old runs' views). */
  ladderExhausted?: string | null;
  nextStatusUpdateAt: string | null;
  alerts: SourceAlert[];
  pendingApprovals: PendingApproval[];
  reviewPath: string | null;
  timeline: TimelineEntry[];
  /** When an acknowledgement alerts again if the incident is not resolved by then. */
  ackExpiresAt?: string | null;
  /** Responders added to the incident (revision 7; absent in older views). */
  responders?: ResponderView[];
  /** Who holds the incident's roles (revision 7; absent in older views). */
  roles?: IncidentRoles;
  /** Revision 9: who hears of it next by their notification rules, how and when, unless it is owned first. */
  followUps?: Array<{ contact: string; channel: string; dueAt: string }>;
  /** Revision 8: the incident this one was merged into, and those merged into this one. */
  mergedInto?: string;
  mergedFrom?: string[];
  /** Every fingerprint the incident knows, how many fire, and how many alerts' details were let go. */
  alertCounts?: { known: number; firing: number; detailsDropped: number };
  /** Older entries moved out of the state to the incident's journal (the review includes them). */
  timelineJournaled?: number;
  /** Entries lost because the journal could not be written for too long. */
  timelineDropped?: number;
  /** Timeline entries ever recorded (revision 4, whose store has them all): `timeline` holds the first and newest. */
  timelineTotal?: number;
  /** Continue-as-new count of the run answering. */
  run?: number;
}

/** Responders added to an incident (engine revision 7, `domain/responders.ts`). */
export const RESPONDER_KINDS = ['team', 'person', 'schedule'] as const;
export type ResponderKind = (typeof RESPONDER_KINDS)[number];

export interface ResponderTarget {
  kind: ResponderKind;
  /** The configuration's id: a team, a contact, or a schedule. */
  name: string;
}

/** What the status view shows of a request. */
export interface ResponderView {
  target: ResponderTarget;
  label: string;
  requestedBy: string;
  requestedAt: string;
  pages: number;
  nextPageAt: string | null;
  answeredBy: string | null;
  ended: string | null;
}

/** Incident roles (engine revision 7): who leads, who talks to customers, who keeps the record. */
export const INCIDENT_ROLES = ['commander', 'communications', 'scribe'] as const;
export type IncidentRole = (typeof INCIDENT_ROLES)[number];
/** Who holds each role, as the command named them (a contact's name, or how a channel names a person). */
export type IncidentRoles = Partial<Record<IncidentRole, string>>;
