/**
 * Every signal, update and query of the incident workflow, defined once for workflows, the intake, the
 * CLI and tests. Each takes one JSON object so it can be typed into the Temporal UI's "Send a Signal".
 *
 * People's commands exist twice under one name: as an Update, whose validator refuses with the reason
 * ("already resolved", "no step X is waiting") so the CLI, Slack and PagerDuty can tell the person; and
 * as a Signal routed to the same code, for the UI's "Send a Signal" and `temporal workflow signal`,
 * where a refusal is recorded in the timeline as "ignored".
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { StoredOverride } from './oncall';
import type { IncidentStatusView, SourceAlert } from './types';

export interface ActorArgs {
  by: string;
}
export type AcknowledgeArgs = ActorArgs;
export interface ResolveArgs extends ActorArgs {
  summary?: string;
}
export interface EscalateArgs extends ActorArgs {
  reason?: string;
}
export interface AddNoteArgs extends ActorArgs {
  text: string;
}
export interface SetSeverityArgs extends ActorArgs {
  severity: string;
}
export interface ApproveArgs extends ActorArgs {
  step: string;
}
export interface RejectArgs extends ActorArgs {
  step: string;
  reason?: string;
}
export type ReviewScheduledArgs = ActorArgs & { when?: string };
/** Engine revision 6: an acknowledged incident alerts its acknowledger again after this many minutes. */
export interface SnoozeArgs extends ActorArgs {
  minutes: number;
}
/** Engine revision 7: page a responder (one of team, person, schedule: the configuration's id). */
export interface PageArgs extends ActorArgs {
  team?: string;
  person?: string;
  schedule?: string;
}
/** Engine revision 7: who takes an incident role. */
export interface SetRoleArgs extends ActorArgs {
  role: 'commander' | 'communications' | 'scribe';
  person: string;
}
/** Engine revision 7: move the incident to another team's escalation policy. */
export interface ReassignArgs extends ActorArgs {
  team: string;
}
/** Engine revision 8: close this incident into another one, which its alerts and alert group feed from now on. */
export interface MergeArgs extends ActorArgs {
  /** The other incident's id; its workflow id too when the caller looked it up (else read from the id). */
  into: string;
  intoWorkflowId?: string;
}
/** Engine revision 8, internal: an incident merged into this one, with its alerts (and later its group's). */
export interface MergedInArgs {
  from: string;
  fromWorkflowId: string;
  by: string;
  alerts: SourceAlert[];
}
export interface AlertArgs {
  alerts: SourceAlert[];
}

export const acknowledgeSignal = defineSignal<[AcknowledgeArgs]>('acknowledge');
export const resolveSignal = defineSignal<[ResolveArgs]>('resolve');
export const escalateSignal = defineSignal<[EscalateArgs]>('escalate');
export const addNoteSignal = defineSignal<[AddNoteArgs]>('addNote');
export const setSeveritySignal = defineSignal<[SetSeverityArgs]>('setSeverity');
export const approveSignal = defineSignal<[ApproveArgs]>('approve');
export const rejectSignal = defineSignal<[RejectArgs]>('reject');
export const snoozeSignal = defineSignal<[SnoozeArgs]>('snooze');
export const pageSignal = defineSignal<[PageArgs]>('page');
export const setRoleSignal = defineSignal<[SetRoleArgs]>('setRole');
export const reassignSignal = defineSignal<[ReassignArgs]>('reassign');
export const reviewScheduledSignal = defineSignal<[ReviewScheduledArgs]>('reviewScheduled');
export const alertSignal = defineSignal<[AlertArgs]>('alert');
export const mergeSignal = defineSignal<[MergeArgs]>('merge');
export const mergedInSignal = defineSignal<[MergedInArgs]>('mergedIn');
/** Engine revision 8, internal: the incident this one was merged into has closed; its group opens anew. */
export const mergeEndedSignal = defineSignal<[{ into: string }]>('mergeEnded');

/** What an accepted command did, and the incident's status after it. */
export interface CommandResult {
  message: string;
  status: IncidentStatusView['status'];
}
export const acknowledgeUpdate = defineUpdate<CommandResult, [AcknowledgeArgs]>('acknowledge');
export const resolveUpdate = defineUpdate<CommandResult, [ResolveArgs]>('resolve');
export const escalateUpdate = defineUpdate<CommandResult, [EscalateArgs]>('escalate');
export const addNoteUpdate = defineUpdate<CommandResult, [AddNoteArgs]>('addNote');
export const setSeverityUpdate = defineUpdate<CommandResult, [SetSeverityArgs]>('setSeverity');
export const approveUpdate = defineUpdate<CommandResult, [ApproveArgs]>('approve');
export const rejectUpdate = defineUpdate<CommandResult, [RejectArgs]>('reject');
export const snoozeUpdate = defineUpdate<CommandResult, [SnoozeArgs]>('snooze');
export const pageUpdate = defineUpdate<CommandResult, [PageArgs]>('page');
export const setRoleUpdate = defineUpdate<CommandResult, [SetRoleArgs]>('setRole');
export const reassignUpdate = defineUpdate<CommandResult, [ReassignArgs]>('reassign');
export const mergeUpdate = defineUpdate<CommandResult, [MergeArgs]>('merge');

/** Each command as a pair: the Update that can refuse, and the Signal for the UI. */
export const COMMANDS = {
  acknowledge: { update: acknowledgeUpdate, signal: acknowledgeSignal },
  resolve: { update: resolveUpdate, signal: resolveSignal },
  escalate: { update: escalateUpdate, signal: escalateSignal },
  addNote: { update: addNoteUpdate, signal: addNoteSignal },
  setSeverity: { update: setSeverityUpdate, signal: setSeveritySignal },
  approve: { update: approveUpdate, signal: approveSignal },
  reject: { update: rejectUpdate, signal: rejectSignal },
  snooze: { update: snoozeUpdate, signal: snoozeSignal },
  page: { update: pageUpdate, signal: pageSignal },
  setRole: { update: setRoleUpdate, signal: setRoleSignal },
  reassign: { update: reassignUpdate, signal: reassignSignal },
  merge: { update: mergeUpdate, signal: mergeSignal },
} as const;

/** What a runbook child tells its incident: findings, actions, proposals, decisions, escalations. */
export interface RunbookReport {
  kind: 'finding' | 'action' | 'proposal' | 'decision' | 'escalate';
  message: string;
  evidence?: string[];
  step?: string;
  phase?: 'begin' | 'end';
}
export const runbookReportSignal = defineSignal<[RunbookReport]>('runbookReport');

/** The incident's severity changed: a proposal waits for an answer by the new severity's response time. */
export interface RespondWithinArgs {
  severity: string;
  respondWithinMs: number;
}
export const respondWithinSignal = defineSignal<[RespondWithinArgs]>('respondWithin');

export const statusQuery = defineQuery<IncidentStatusView>('status');
/**
 * What an incident's review workflow (`<incident id>-review[-n]`) holds: the proposed meeting (engine revision
 * 8; null on older runs, which only remind) and whether someone confirmed it. A query adds nothing to the
 * history, so runs started by an older release answer it too once this code replays them.
 */
export interface ReviewMeetingView {
  incidentId: string;
  reviewPath: string;
  meeting: {
    /** ISO: the meeting's start, as proposed or as moved by its confirmation. */
    start: string;
    durationMinutes: number;
    invitees: string[];
    commander: string | null;
  } | null;
  /** Who confirmed the review is scheduled; null while it waits. */
  confirmedBy: string | null;
  /** `waiting` until confirmed; `reminded` once the last reminder went out (the run ends then). */
  state: 'waiting' | 'confirmed' | 'reminded';
}
export const reviewMeetingQuery = defineQuery<ReviewMeetingView>('reviewMeeting');

/** Shown in the Temporal UI next to each handler. */
export const SIGNAL_DESCRIPTIONS = {
  acknowledge: 'Acknowledge the incident and stop escalation. Input: {"by": "alice"}',
  resolve:
    'Mark resolved; health is verified and stability watched before closing. Input: {"by": "alice", "summary": "..."}',
  escalate: 'Page the next escalation level now. Input: {"by": "alice", "reason": "..."}',
  addNote: 'Add a note to the timeline. Input: {"by": "alice", "text": "..."}',
  setSeverity:
    'Change severity (P1, P2, P3); restarts the response clock. Input: {"by": "alice", "severity": "P1"}',
  approve: 'Approve a proposed runbook step. Input: {"by": "alice", "step": "<step id from status>"}',
  reject: 'Reject a proposed runbook step. Input: {"by": "alice", "step": "<step id>", "reason": "..."}',
  snooze:
    'Acknowledged: alert the acknowledger again after this many minutes unless resolved (engine revision 6). Input: {"by": "alice", "minutes": 60}',
  page: 'Add a responder: page a team, person or schedule on its own policy until someone from it acknowledges (engine revision 7). Input: {"by": "alice", "team": "db"}',
  setRole:
    'Name who holds an incident role: commander, communications or scribe (engine revision 7). Input: {"by": "alice", "role": "commander", "person": "Amy"}',
  reassign:
    'Move the incident to another team\'s escalation policy: it pages from its first rule, the acknowledgement cleared (engine revision 7). Input: {"by": "alice", "team": "db"}',
  reviewScheduled:
    'The post-incident review is scheduled: no more reminders; an ISO "when" moves the proposed meeting (engine revision 8). Input: {"by": "alice", "when": "2026-12-08T10:00Z"}',
  merge:
    'Close this incident into another one: its alerts, and its alert group from now on, feed that one (engine revision 8). Input: {"by": "alice", "into": "incident-…"}',
  mergedIn: 'Internal: an incident merged into this one, with its alerts.',
  mergeEnded: 'Internal: the incident this one was merged into has closed.',
  alert: 'Source alerts from the intake (new, repeated or resolved). Input: {"alerts": [...]}',
  runbookReport: 'Internal: findings and actions reported by the runbook child workflow.',
  respondWithin:
    'Internal: the incident\'s severity changed; proposals wait by its response time. Input: {"severity": "P1", "respondWithinMs": 900000}',
  status: 'The incident as it stands: status, severity, pages, alerts, timeline.',
} as const;

/** On-call overrides, held by one workflow per schedule (`onCallOverridesWorkflow`). */
export interface AddOverrideArgs {
  contactId: string;
  /** Epoch milliseconds. */
  from: number;
  to: number;
  by: string;
  reason?: string;
}
export const addOverrideUpdate = defineUpdate<StoredOverride, [AddOverrideArgs]>('addOverride');
export const removeOverrideUpdate = defineUpdate<StoredOverride[], [{ id: string; by: string }]>(
  'removeOverride',
);
export const overridesQuery = defineQuery<StoredOverride[]>('overrides');

/** The workflow id that holds a schedule's overrides. */
export const onCallOverridesWorkflowId = (schedule: string) => `oncall-${schedule}`;

export const ONCALL_DESCRIPTIONS = {
  addOverride:
    'Someone takes the pager: wins over every layer. Refused if it overlaps another override or lies in the past. Input: {"contactId": "tech-lead", "from": 1767225600000, "to": 1767254400000, "by": "alice", "reason": "..."}',
  removeOverride: 'Remove an override by id. Input: {"id": "a1b2c3d4", "by": "alice"}',
  overrides: 'The current and future overrides of this schedule.',
} as const;

/** Maintenance windows, held by one workflow per service (`maintenanceWorkflow`). */
export interface MaintenanceWindow {
  id: string;
  from: number;
  to: number;
  by: string;
  reason?: string;
}
export interface StartMaintenanceArgs {
  /** Epoch milliseconds; absent: now. */
  from?: number;
  to: number;
  by: string;
  reason?: string;
}
export const startMaintenanceUpdate = defineUpdate<MaintenanceWindow, [StartMaintenanceArgs]>(
  'startMaintenance',
);
export const endMaintenanceUpdate = defineUpdate<MaintenanceWindow[], [{ by: string }]>('endMaintenance');
export const maintenanceQuery = defineQuery<MaintenanceWindow[]>('maintenance');
export const maintenanceWorkflowId = (service: string) => `maintenance-${service}`;

/** Longest window one command may open: planned work, not a way to mute a service for good. */
export const MAX_MAINTENANCE_MS = 7 * 86_400_000;

export const MAINTENANCE_DESCRIPTIONS = {
  startMaintenance:
    'Planned work: alerts for this service open no page and no runbook until "to" (at most 7 days). Input: {"to": 1767254400000, "by": "alice", "reason": "..."}',
  endMaintenance: 'End the current window now. Input: {"by": "alice"}',
  maintenance: 'The current and future maintenance windows of this service.',
} as const;

/** A heartbeat's settings, as the configuration says (`heartbeats.<name>`); every beat carries the current ones. */
export interface HeartbeatSettings {
  name: string;
  intervalMs: number;
  graceMs: number;
  service: string;
  severity: 'P1' | 'P2' | 'P3';
}
/** A beat: the sender was heard from (`at`: when the intake heard it). */
export const heartbeatSignal = defineSignal<[HeartbeatSettings & { at: number }]>('beat');
export interface HeartbeatView {
  name: string;
  lastBeatAt: string | null;
  /** When a beat is missed if none comes. */
  dueBy: string;
  /** The incident a missed beat opened, while it is not resolved by a beat. */
  incidentWorkflowId: string | null;
}
export const heartbeatQuery = defineQuery<HeartbeatView>('heartbeat');
export const heartbeatWorkflowId = (name: string) => `heartbeat-${name}`;
