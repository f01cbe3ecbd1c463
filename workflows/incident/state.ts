/**
 * The incident's whole state: one serializable object, carried across continue-as-new. Every value is
 * kept once; the status query's view is derived from it (`toView`).
 */
import type { SlackThreadRef } from '../../activities/contract';
import type { NotificationChannel } from '../../domain/notification-rules';
import { slackText } from '../../domain/text';
import { parseSeverity, type IncidentPolicy } from '../../domain/policy';
import type { RunbookOutcome } from '../../domain/runbook';
import type {
  AlertLinks,
  IncidentInput,
  IncidentStatus,
  PageRecord,
  PendingApproval,
  Severity,
  SourceAlert,
  TimelineEntry,
  TimelineType,
} from '../../domain/types';

/** Work that runs once when the incident opens (or reopens), in this order after the first page. */
export type OpeningTask = 'security' | 'announce' | 'ticket' | 'status-page' | 'management' | 'runbook';
/** Work that closes a stable incident, in this order. */
export type ClosingTask =
  | 'stop-runbook'
  | 'pagerduty-resolve'
  | 'status-page'
  | 'review'
  | 'reminder'
  | 'archive-channel'
  | 'merge-ended';

/** Slack traffic runs in its own lane, one call at a time, so a dead Slack never holds up a page. */
export type SlackItem =
  | { kind: 'announce'; text: string }
  | { kind: 'thread'; text: string }
  | { kind: 'notice'; pageSeq: number; levelName: string; contactIds: string[]; reason: string }
  /** `proposal`: when the step was proposed, which its buttons carry (absent in states of older runs). */
  | { kind: 'approval'; step: string; text: string; proposal?: string };

export interface IncidentState {
  version: 2;
  incidentId: string;
  workflowId: string;
  input: Omit<IncidentInput, 'alerts' | 'carried'>;
  /** Continue-as-new count: 0 for the run that opened the incident. */
  run: number;
  policy: IncidentPolicy | null;
  status: IncidentStatus;
  createdAt: number;
  acknowledgedAt: number | null;
  acknowledgedBy: string | null;
  resolvedAt: number | null;
  resolvedBy: string | null;
  resolutionSummary: string | null;

  /** Ladder pages sent since the incident (re)opened: which rung comes next. */
  ladderStep: number;
  /** When the next rung is due (anchored to when the previous one was due); null: none. */
  nextEscalationAt: number | null;
  /**
   * Why nobody more will be paged while the incident is triggered with no rung due (ladder walked with
   * `afterLadder: stop`, or a severity that does not escalate); stated in the timeline and Slack (revision 2).
   */
  ladderExhausted?: { at: number; why: string } | null;
  /** An acknowledgement not followed by a resolution by then alerts again. */
  ackExpiresAt: number | null;
  nextStatusUpdateAt: number | null;
  watch: { endsAt: number; nextCheckAt: number } | null;

  opening: OpeningTask[];
  closing: ClosingTask[] | null;
  pendingResolve: { by: string; summary: string | null } | null;
  pendingEscalations: string[];
  pendingRelapse: string | null;
  pendingPagerDutyAck: boolean;

  slackQueue: SlackItem[];
  /** Thread messages waiting to go out together as one post. */
  outbox: string[];
  outboxDropped: number;
  slackBusy: boolean;
  thread: SlackThreadRef | null;

  pendingApprovals: PendingApproval[];
  approvalForwards: { kind: 'approve' | 'reject'; by: string; step: string; reason?: string }[];
  /** The severity changed while the runbook ran: it must learn the new response time (absent in old runs). */
  runbookSeverityChanged?: boolean;
  runbook: { workflowId: string; running: boolean; runs: number } | null;
  runbookOutcome: RunbookOutcome | { failed: string } | null;

  pageSeq: number;
  paged: PageRecord[];
  /** Every fingerprint seen with its last status (bounded), so a resend is recognised as one. */
  alertStatus: [string, 'firing' | 'resolved'][];
  alerts: SourceAlert[];
  alertsDropped: number;
  timeline: TimelineEntry[];
  /** Entries that left `timeline` and wait to be written to the incident's journal (absent in old runs). */
  journalQueue?: TimelineEntry[];
  /** Entries written to the journal, which the review reads back (absent in old runs). */
  journaled?: number;
  /** Entries lost: the journal could not be written and its queue overflowed. */
  timelineDropped: number;
  ticketOpened: boolean;
  reviewPath: string | null;
  reviewScheduledBy: string | null;
  /** A firing alert more severe than the incident (revision 2): the loop raises the severity to it. */
  pendingRaise?: { severity: Severity; summary: string } | null;
  /** Pages owed outside the ladder's rhythm (revision 2): a raise by an alert, a Slack notice that failed. */
  pagesOwed?: { level: number; reason: string }[];
  /** A cancellation request from Temporal (the UI's "Request Cancellation"): closes the incident as cancelled. */
  pendingCancel?: { by: string; reason: string } | null;
  /** While `suppressed`: when the maintenance window ends (absent in old runs). */
  suppressedUntil?: number | null;
  /** While `suppressed`: when to ask again (a window may be ended early or extended). */
  maintenanceCheckAt?: number | null;
  /** Revision 4: the system of record's lane. */
  storeLane?: StoreLane;
  /** Revision 7: responders added to the incident, each paged on its own ladder (`responders.ts`). */
  responders?: import('../../domain/responders').ResponderRequest[];
  /** Revision 7: a reassignment to another team's policy waits for the configuration's answer (`reassign.ts`). */
  pendingReassign?: { team: string; by: string } | null;
  /** Revision 7: who holds the incident's roles (`roles.ts`). */
  roles?: import('../../domain/types').IncidentRoles;
  /** Revision 8 (`merge.ts`): a merge into another incident, asked and not yet told to it. */
  pendingMerge?: { into: string; intoWorkflowId: string; by: string } | null;
  /** Revision 8: the incident this one was merged into; its alert group's alerts go there until it closes. */
  mergedInto?: { incidentId: string; workflowId: string; ended: boolean; forward: SourceAlert[] } | null;
  /** Revision 8: incidents merged into this one, told when it closes. */
  mergedFrom?: { incidentId: string; workflowId: string }[];
  /** Revision 9: what paged people's notification rules ask for later, in due order (`follow-ups.ts`). */
  followUps?: FollowUp[];
}

/** Revision 9: one person's follow-up by one channel, a while after a page (`follow-ups.ts`). */
export interface FollowUp {
  dueAt: number;
  /** When the page that asked for it went out: an acknowledgement or resolution since then makes it moot. */
  pagedAt: number;
  contactId: string;
  contact: string;
  channel: NotificationChannel;
  rule: number;
  levelName: string;
  reason: string;
  dedupKey?: string;
}

/** Revision 4: what the incident has not yet written to the system of record (`store-lane.ts`). */
export interface StoreLane {
  /** Entries not yet written; `queue[0]` is entry number `next` of the whole timeline. */
  queue: TimelineEntry[];
  next: number;
  /** Entries ever recorded (the view's timeline holds entry 0 and the newest after it). */
  total: number;
  /** Pages (by `seq`) sent or answered since the last write. */
  pages: number[];
  /** A write is under way (it wakes the loop when it ends). */
  busy: boolean;
  /** Entries the store never got: a full queue, or a write that failed for longer than its retries. */
  lost: number;
  /** The last write failed; said once in the timeline until one succeeds. */
  failing: boolean;
  /**
   * Revision 5: until when (epoch ms) writes go by the lane instead of where the loop runs, because a write
   * there failed (a worker that holds no store, or a store that did not answer in time).
   */
  hereOffUntil?: number;
}

/** How the timeline of an incident closed inside a maintenance window begins its 'resolved' entry (the report counts these). */
export const RESOLVED_IN_MAINTENANCE = 'resolved during maintenance';

const MAX_OUTBOX = 100;
/** Entries that may wait for the store (revision 4); older ones make room, counted lost, in a long outage. */
export const MAX_STORE_QUEUE = 500;
const MAX_STORE_PAGES = 100;
/** Timeline entries written to the journal together, and the most that may wait for it. */
export const JOURNAL_BATCH = 50;
const MAX_JOURNAL_QUEUE = 100;
// Bounds that keep the state (carried by continue-as-new, answered by `status`) far below Temporal's
// 2 MB payload limit whatever the alerts contain: 2,000 × 200-character fingerprints, 300 × 1,000-character
// timeline entries and 200 trimmed alerts stay under about 1.5 MB even at their worst (a unit test checks).
export const MAX_KNOWN_FINGERPRINTS = 2000;
const MAX_TIMELINE_MESSAGE = 1000;
const MAX_ALERT_LABELS = 16;
const MAX_LABEL_TEXT = 100;
const DEFAULT_KEEP_TIMELINE = 300;
const DEFAULT_KEEP_ALERTS = 200;

export function initialState(
  input: IncidentState['input'],
  ids: { incidentId: string; workflowId: string },
  now: number,
): IncidentState {
  return {
    version: 2,
    ...ids,
    input,
    run: 0,
    policy: null,
    status: 'triggered',
    createdAt: now,
    acknowledgedAt: null,
    acknowledgedBy: null,
    resolvedAt: null,
    resolvedBy: null,
    resolutionSummary: null,
    ladderStep: 0,
    nextEscalationAt: null,
    ackExpiresAt: null,
    nextStatusUpdateAt: null,
    watch: null,
    opening: [],
    closing: null,
    pendingResolve: null,
    pendingEscalations: [],
    pendingRelapse: null,
    pendingPagerDutyAck: false,
    slackQueue: [],
    outbox: [],
    outboxDropped: 0,
    slackBusy: false,
    thread: null,
    pendingApprovals: [],
    approvalForwards: [],
    runbook: null,
    runbookOutcome: null,
    pageSeq: 0,
    paged: [],
    alertStatus: [],
    alerts: [],
    alertsDropped: 0,
    timeline: [],
    timelineDropped: 0,
    ticketOpened: false,
    reviewPath: null,
    reviewScheduledBy: null,
  };
}

/** A state carried by continue-as-new, or undefined when the value is not one (then the run starts anew). */
export function carriedState(value: unknown): IncidentState | undefined {
  const s = value as Partial<IncidentState> | null | undefined;
  return s && typeof s === 'object' && s.version === 2 && typeof s.incidentId === 'string'
    ? (s as IncidentState)
    : undefined;
}

/** Stops every clock of the incident: escalation, acknowledgement timeout, status updates, the watch. */
export function stopClocks(state: IncidentState): void {
  state.nextEscalationAt = null;
  state.nextStatusUpdateAt = null;
  state.ackExpiresAt = null;
  state.watch = null;
}

/** Appends to the timeline (bounded) and, when people should hear of it, to the Slack outbox. */
export function record(
  state: IncidentState,
  now: number,
  type: TimelineType,
  message: string,
  opts: { actor?: string; announce?: boolean } = {},
): void {
  const entry: TimelineEntry = {
    at: new Date(now).toISOString(),
    type,
    ...(opts.actor ? { actor: opts.actor } : {}),
    message: clip(message),
  };
  state.timeline.push(entry);
  if (state.storeLane) queueEntry(state.storeLane, entry);
  const keep = state.policy?.history?.keepTimelineEntries ?? DEFAULT_KEEP_TIMELINE;
  // The first entry ('opened') stays; the oldest of the rest make room, on their way to the journal (or,
  // on revision 4, simply go: the store has them).
  while (state.timeline.length > keep) {
    if (state.storeLane) {
      state.timeline.splice(1, 1);
      continue;
    }
    const queue = (state.journalQueue ??= []);
    queue.push(...state.timeline.splice(1, 1));
    if (queue.length > MAX_JOURNAL_QUEUE) {
      queue.shift();
      state.timelineDropped += 1;
    }
  }
  if (opts.announce ?? true) queueThreadMessage(state, `${message}${opts.actor ? ` (${opts.actor})` : ''}`);
}

/** A timeline entry just recorded, for the store. */
function queueEntry(lane: StoreLane, entry: TimelineEntry): void {
  lane.total += 1;
  lane.queue.push(entry);
  while (lane.queue.length > MAX_STORE_QUEUE) {
    lane.queue.shift();
    lane.next += 1;
    lane.lost += 1;
  }
}

/** A page sent or answered, for the store. */
export function queuePage(state: IncidentState, page: PageRecord): void {
  const lane = state.storeLane;
  if (!lane || page.seq === undefined || lane.pages.includes(page.seq)) return;
  lane.pages.push(page.seq);
  if (lane.pages.length > MAX_STORE_PAGES) lane.pages.shift();
}

function clip(text: string): string {
  return text.length > MAX_TIMELINE_MESSAGE ? `${text.slice(0, MAX_TIMELINE_MESSAGE)}…` : text;
}

function queueThreadMessage(state: IncidentState, text: string): void {
  // Timeline messages quote alerts, people and probes: Slack must show them, not act on them.
  state.outbox.push(slackText(text, MAX_TIMELINE_MESSAGE));
  while (state.outbox.length > MAX_OUTBOX) {
    state.outbox.shift();
    state.outboxDropped += 1;
  }
}

/** What the state keeps of a source alert: enough to show it, never more than a few kilobytes. */
export function trimAlert(alert: SourceAlert): SourceAlert {
  // Anyone who can reach Temporal can signal: every field is checked for its type, never trusted.
  const labels = Object.entries(alert.labels)
    .slice(0, MAX_ALERT_LABELS)
    .map(([k, v]) => [k.slice(0, MAX_LABEL_TEXT), scalarText(v).slice(0, MAX_LABEL_TEXT)]);
  const optional = (key: 'url' | 'startsAt' | 'endsAt', max: number) => {
    const value = alert[key];
    return typeof value === 'string' && value ? { [key]: value.slice(0, max) } : {};
  };
  const severity = parseSeverity(alert.severity);
  return {
    fingerprint: alert.fingerprint.slice(0, 200),
    status: alert.status,
    summary: alert.summary.slice(0, 500),
    labels: Object.fromEntries(labels),
    source: alert.source === 'alertmanager' || alert.source === 'grafana' ? alert.source : 'generic',
    ...optional('url', 500),
    ...optional('startsAt', 40),
    ...optional('endsAt', 40),
    ...(severity ? { severity } : {}),
    ...trimLinks(alert.links),
  };
}

/**
 * The alert's links (absent from older intakes): http(s) only, 1,000 characters at most (longer ones go).
 * Kept in the state for the console (the state bound sheds alert details first when it must); commands do
 * not depend on them, so older runs replay unchanged.
 */
function trimLinks(links: unknown): { links?: AlertLinks } {
  if (!links || typeof links !== 'object') return {};
  const kept = Object.entries(links as Record<string, unknown>).filter(
    ([k, v]) =>
      LINK_KINDS.includes(k as (typeof LINK_KINDS)[number]) &&
      typeof v === 'string' &&
      v.length <= 1000 &&
      /^https?:\/\//i.test(v),
  );
  return kept.length ? { links: Object.fromEntries(kept) as AlertLinks } : {};
}
const LINK_KINDS = ['source', 'dashboard', 'panel', 'silence'] as const;

/** A label value as text: strings as they are, numbers and booleans written out, anything else empty. */
function scalarText(value: unknown): string {
  return typeof value === 'string'
    ? value
    : typeof value === 'number' || typeof value === 'boolean'
      ? String(value)
      : '';
}

/** Keeps the newest alerts' details within the configured bound; the fingerprint index keeps the rest. */
export function boundAlerts(state: IncidentState): void {
  const keep = state.policy?.history?.keepAlerts ?? DEFAULT_KEEP_ALERTS;
  while (state.alerts.length > keep) {
    // Resolved alerts go first, then the oldest firing one.
    const resolved = state.alerts.findIndex((a) => a.status === 'resolved');
    state.alerts.splice(resolved >= 0 ? resolved : 0, 1);
    state.alertsDropped += 1;
  }
  if (state.alertStatus.length > MAX_KNOWN_FINGERPRINTS)
    state.alertStatus.splice(0, state.alertStatus.length - MAX_KNOWN_FINGERPRINTS);
}

export const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
