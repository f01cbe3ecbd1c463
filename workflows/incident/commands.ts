/**
 * What people ask of an incident (acknowledge, resolve, escalate, note, severity, approve, reject, snooze,
 * page a responder, set a role, reassign, merge): for each, why it is refused in the current state (the Update
 * validator's error, or the "ignored" line for a Signal) and what it changes. Pure: the workflow passes `now`.
 */
import { formatElapsed, parseSeverity } from '../../domain/policy';
import type { Severity } from '../../domain/types';
import { ackExpiry, activeLadder, ladderPosition, policyLevel } from './ladder';
import { record, type IncidentState } from './state';
import { answerable, answerResponders, applyPage, pageRefusal, RESPONDER_REVISION } from './responders';
import { applyReassign, reassignRefusal } from './reassign';
import { applyRole, roleRefusal, ROLES_REVISION } from './roles';
import { applyMerge, mergeRefusal, MERGE_REVISION } from './merge';
import { changeSeverity, revisionAtLeast } from './transitions';

/** What an escalation will really do, for its caller (revision 2; earlier runs answered the old words). */
function escalationAnswer(state: IncidentState): string {
  const policy = state.policy;
  if (!policy || !revisionAtLeast(state, 2)) return 'escalation requested: paging the next level';
  if (state.status === 'resolved') return 'escalation requested: the incident reopens and pages from the top';
  const at = ladderPosition(activeLadder(state)!, state.ladderStep);
  if (!at)
    return `escalation requested: nobody is left on the ladder to page (${state.ladderStep} pages sent, escalation.afterLadder is stop); it is recorded in the timeline`;
  return `escalation requested: paging ${policyLevel(state, at.level).name}${at.beyond ? ' again (the last level)' : ''}`;
}

export type CommandName =
  | 'acknowledge'
  | 'resolve'
  | 'escalate'
  | 'addNote'
  | 'setSeverity'
  | 'approve'
  | 'reject'
  | 'snooze'
  | 'page'
  | 'setRole'
  | 'reassign'
  | 'merge';
export const COMMAND_NAMES: readonly CommandName[] = [
  'acknowledge',
  'resolve',
  'escalate',
  'addNote',
  'setSeverity',
  'approve',
  'reject',
  'snooze',
  'page',
  'setRole',
  'reassign',
  'merge',
];

/** The longest snooze: a day. */
export const MAX_SNOOZE_MINUTES = 1440;

/**
 * Whether a run takes the command at all. `snooze` is revision 6's; `page`, `setRole` and `reassign` are
 * revision 7's; `merge` is revision 8's. Below its revision, a command's Signal changes nothing and records nothing (the release
 * before it has no handler, and a replay there must see the same), and its Update is refused by the
 * validator, which leaves no trace in the history either.
 */
export function commandTaken(state: IncidentState, name: CommandName): boolean {
  if (name === 'snooze') return revisionAtLeast(state, 6);
  if (name === 'setRole' || name === 'reassign') return revisionAtLeast(state, ROLES_REVISION);
  if (name === 'merge') return revisionAtLeast(state, MERGE_REVISION);
  return name !== 'page' || revisionAtLeast(state, RESPONDER_REVISION);
}

function snoozeMinutes(args: CommandArgs): number | null {
  const m = args?.minutes;
  return typeof m === 'number' && Number.isInteger(m) && m >= 1 && m <= MAX_SNOOZE_MINUTES ? m : null;
}

/** A command's arguments as received: anything, from anyone who can reach Temporal. */
export type CommandArgs = Record<string, unknown> | null | undefined;

export function actorOf(args: CommandArgs): string {
  const by = args?.by;
  return typeof by === 'string' && by.trim() ? by.trim().slice(0, 200) : 'unknown';
}

const text = (args: CommandArgs, key: string, max: number): string | undefined => {
  const value = args?.[key];
  return typeof value === 'string' && value.trim() ? value.trim().slice(0, max) : undefined;
};

/** Why the command cannot be carried out now, or null when it can. */
export function refusal(state: IncidentState, name: CommandName, args: CommandArgs): string | null {
  // A Slack button or PagerDuty event names the incident it was about; the same alert group may have
  // opened a newer one since, and yesterday's "Resolve" must not close today's incident.
  const about = args?.incident;
  if (about !== undefined && about !== state.incidentId)
    return `that was for incident ${String(about).slice(0, 80)}, which is closed; the open incident for this alert group is ${state.incidentId}`;
  if (state.status === 'cancelled') return 'incident was cancelled';
  const closing = state.status === 'resolved';
  if (state.status === 'suppressed' && (name === 'acknowledge' || name === 'escalate'))
    return `incident is suppressed by a maintenance window until ${new Date(state.suppressedUntil ?? 0).toISOString()}: nobody is paged; resolve it, or it opens when the window ends if its alert still fires`;
  switch (name) {
    case 'acknowledge':
      if (closing) return 'incident is already resolved';
      // Revision 7: someone a responder request paged joins, although the incident is acknowledged.
      if (state.status === 'acknowledged' || state.status === 'mitigating')
        return answerable(state, actorOf(args)).length
          ? null
          : `incident is already acknowledged${state.acknowledgedBy ? ` by ${state.acknowledgedBy}` : ''}`;
      if (state.status === 'monitoring') return 'incident is being monitored after resolve';
      return null;
    case 'resolve':
      if (closing) return 'incident is already resolved';
      return state.status === 'monitoring' ? 'resolution is already being verified' : null;
    case 'escalate':
      // During the close sequence an escalation means it is not over: it reopens (see apply).
      return state.status === 'monitoring' ? 'incident is being monitored after resolve' : null;
    case 'addNote':
      return text(args, 'text', 4000) ? null : 'missing "text"';
    case 'setSeverity': {
      const severity = parseSeverity(args?.severity);
      if (!severity) return `unknown severity ${JSON.stringify(args?.severity ?? null)?.slice(0, 40)}`;
      if (closing) return 'incident is already resolved';
      return severity === state.input.severity ? `severity is already ${severity}` : null;
    }
    case 'approve':
    case 'reject': {
      const step = args?.step;
      if (typeof step !== 'string' || !state.pendingApprovals.some((p) => p.step === step))
        return `no step ${JSON.stringify(step ?? null)?.slice(0, 80)} is waiting for approval`;
      return null;
    }
    case 'snooze':
      if (!commandTaken(state, name))
        return `snooze needs engine revision 6; this incident runs revision ${state.policy?.revision ?? 1}`;
      if (snoozeMinutes(args) === null) return `minutes: a whole number from 1 to ${MAX_SNOOZE_MINUTES}`;
      if (closing) return 'incident is already resolved';
      return state.status === 'acknowledged' || state.status === 'mitigating'
        ? null
        : 'only an acknowledged incident can be snoozed';
    case 'page':
      return pageRefusal(state, args);
    case 'setRole':
      return roleRefusal(state, args);
    case 'reassign':
      return reassignRefusal(state, args);
    case 'merge':
      return mergeRefusal(state, args);
  }
}

/**
 * Why an Approve/Reject from a button is refused although its step is waiting: the button answered an
 * earlier proposal of the step, which has been proposed again since (new evidence, a rerun). Asked by the
 * Update's validator only: a validator's refusal leaves nothing in the history, so the runs recorded before
 * it, and the previous release polling beside it, replay the same. A Signal (no answer to give) skips it.
 */
export function staleProposal(state: IncidentState, name: CommandName, args: CommandArgs): string | null {
  if ((name !== 'approve' && name !== 'reject') || args?.proposal === undefined) return null;
  const pending = state.pendingApprovals.find((p) => p.step === args?.step);
  if (!pending || pending.requestedAt === args.proposal) return null;
  return `that button answered an earlier request for "${String(args.step).slice(0, 80)}" (${String(args.proposal).slice(0, 40)}); it was proposed again at ${pending.requestedAt}: answer the newest request`;
}

/** Carries out a command that `refusal` allowed; answers what was done, for the caller. */
export function apply(state: IncidentState, name: CommandName, args: CommandArgs, now: number): string {
  const by = actorOf(args);
  switch (name) {
    case 'acknowledge':
      if (state.status === 'acknowledged' || state.status === 'mitigating') {
        answerResponders(state, by, now);
        return `${by} joined as a responder`;
      }
      state.status = 'acknowledged';
      state.acknowledgedAt = now;
      state.acknowledgedBy = by;
      state.nextEscalationAt = null;
      state.ackExpiresAt = ackExpiry(state, now);
      state.pendingPagerDutyAck = true;
      record(
        state,
        now,
        'acknowledged',
        `acknowledged at +${formatElapsed(now - state.createdAt)}; escalation stopped`,
        {
          actor: by,
        },
      );
      answerResponders(state, by, now);
      return `acknowledged by ${by}`;
    case 'resolve':
      state.pendingResolve = { by, summary: text(args, 'summary', 2000) ?? null };
      return 'resolve requested: verifying health before closing';
    case 'escalate': {
      const reason = `${text(args, 'reason', 500) ?? 'manual escalation'} (requested by ${by})`;
      if (state.status === 'resolved') state.pendingRelapse = `escalated during the close: ${reason}`;
      state.pendingEscalations.push(reason);
      return escalationAnswer(state);
    }
    case 'addNote':
      record(state, now, 'note', text(args, 'text', 4000) as string, { actor: by });
      return 'note added';
    case 'setSeverity': {
      const severity = parseSeverity(args?.severity) as Severity;
      changeSeverity(state, severity, now, by);
      return `severity is now ${severity}`;
    }
    case 'approve':
    case 'reject': {
      const step = args?.step as string;
      const reason = text(args, 'reason', 1000);
      state.approvalForwards.push({ kind: name, by, step, ...(reason ? { reason } : {}) });
      return `${name === 'approve' ? 'approval' : 'rejection'} of "${step}" passed to the runbook`;
    }
    case 'snooze': {
      // The acknowledgement's timeout, for this incident: when it passes unresolved, the acknowledger's
      // level is paged again and the ladder goes on (as an ack timeout does).
      const minutes = snoozeMinutes(args)!;
      state.ackExpiresAt = now + minutes * 60_000;
      const until = new Date(state.ackExpiresAt).toISOString();
      const who = state.acknowledgedBy ?? 'the acknowledger';
      record(
        state,
        now,
        'note',
        `snoozed for ${formatElapsed(minutes * 60_000)}: ${who} is alerted again at ${until} unless it is resolved`,
        { actor: by },
      );
      return `snoozed until ${until}`;
    }
    case 'page':
      return applyPage(state, by, args, now);
    case 'setRole':
      return applyRole(state, by, args, now);
    case 'reassign':
      return applyReassign(state, by, args, now);
    case 'merge':
      return applyMerge(state, by, args, now);
  }
}

/** A Signal cannot refuse: a refused one is recorded as ignored, with why. */
export function recordIgnored(
  state: IncidentState,
  name: CommandName,
  args: CommandArgs,
  why: string,
  now: number,
) {
  record(state, now, 'ignored', `ignored ${name}: ${why}`, { actor: actorOf(args), announce: false });
}
