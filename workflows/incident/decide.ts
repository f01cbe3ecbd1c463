/**
 * The one decision of the incident loop: given the state and the time, what to do next. The order of the
 * checks below is the priority of effects: pages come before everything that talks to people, Slack
 * comes last and runs in its own lane, so neither chatter nor a dead Slack delays a page.
 */
import { earliest } from '../../domain/policy';
import { ackExpired, afterHours, dueRung, policyLevel, type DueRung } from './ladder';
import { responderDue, responderWakeAt } from './responders';
import { forwarding } from './merge';
import { followUpDue, followUpWakeAt } from './follow-ups';
import { storeDue, storeDueAt, storeHereDue, storeUnwritten } from './store-lane';
import { revisionAtLeast } from './transitions';
import { JOURNAL_BATCH, type ClosingTask, type IncidentState, type OpeningTask } from './state';

export type Effect =
  | { kind: 'load-policy' }
  | { kind: 'maintenance-check' }
  | { kind: 'close-suppressed' }
  | { kind: 'reopen'; reason: string }
  | { kind: 're-alert' }
  | { kind: 'escalate-now'; reason: string }
  | { kind: 'page'; rung: DueRung }
  | { kind: 'opening'; task: OpeningTask }
  | { kind: 'pagerduty-ack' }
  | { kind: 'forward-approval' }
  | { kind: 'forward-severity' }
  | { kind: 'runbook-ended' }
  | { kind: 'verify-resolve' }
  | { kind: 'watch-check' }
  | { kind: 'status-update'; dueAt: number }
  | { kind: 'write-journal' }
  | { kind: 'closing'; task: ClosingTask }
  | { kind: 'slack' }
  | { kind: 'store' }
  | { kind: 'store-here' }
  | { kind: 'complete' }
  | { kind: 'continue-as-new'; why: string }
  | { kind: 'cancel' }
  | { kind: 'raise-severity' }
  | { kind: 'page-owed' }
  | { kind: 'ladder-end' }
  | { kind: 'responder'; index: number; action: 'plan' | 'page' | 'end' }
  | { kind: 'follow-up' }
  | { kind: 'reassign' }
  | { kind: 'merge' }
  | { kind: 'forward' }
  | { kind: 'open-anew' }
  | { kind: 'after-hours'; until: number; why: string }
  | { kind: 'wait'; until: number | null };

export interface RunFacts {
  /** Temporal suggests continuing as new (history size or length). */
  continueAsNewSuggested: boolean;
  historyLength: number;
  /** Bytes of history so far (0 when unknown). */
  historySize: number;
  /**
   * Bytes of history when this run's loop first ran: its start event carries the previous run's state, which
   * the byte rule must not count (revision 2), or a small bound would continue as new in a loop.
   */
  historySizeAtStart?: number;
}

/** Why this run should hand over to a new one, or null while its history is small. */
function continueAsNewReason(state: IncidentState, run: RunFacts): string | null {
  const limits = state.policy?.history;
  if (run.continueAsNewSuggested) return 'Temporal suggested it';
  if (limits && run.historyLength >= limits.continueAsNewAfterEvents)
    return `history reached ${run.historyLength} events`;
  // Absent from policies carried by runs older than this bound.
  const bytes = limits?.continueAsNewAfterBytes;
  const grown = revisionAtLeast(state, 2) ? run.historySize - (run.historySizeAtStart ?? 0) : run.historySize;
  if (bytes !== undefined && grown >= bytes)
    return `history reached ${(run.historySize / 1e6).toFixed(1)} MB (${(grown / 1e6).toFixed(1)} MB in this run)`;
  return null;
}

/**
 * Queued Slack items ride along in the carried state, so (revision 2) only a Slack call in flight or a
 * running runbook holds continue-as-new back: a long Slack outage must not let the history grow unbounded.
 */
function carriesOver(state: IncidentState): boolean {
  return revisionAtLeast(state, 2) && !state.slackBusy && !state.storeLane?.busy && !state.runbook?.running;
}

/** Work that must not be cut by continue-as-new or completion. */
function busy(state: IncidentState): boolean {
  return (
    state.slackBusy ||
    state.slackQueue.length > 0 ||
    state.outbox.length > 0 ||
    !!state.runbook?.running ||
    storeUnwritten(state)
  );
}

/**
 * During a maintenance window the incident pages nobody and posts nothing: it asks again at the window's
 * end and every few minutes before (a window may be ended early), opening once none is under way if its
 * alert still fires, or closes on a resolution, never having paged.
 */
function whileSuppressed(state: IncidentState, now: number, run: RunFacts): Effect {
  if (state.pendingResolve) return { kind: 'close-suppressed' };
  if (now >= (state.maintenanceCheckAt ?? 0)) return { kind: 'maintenance-check' };
  if ((state.journalQueue?.length ?? 0) >= JOURNAL_BATCH) return { kind: 'write-journal' };
  if (storeDue(state, now)) return { kind: 'store' };
  if (storeHereDue(state, now)) return { kind: 'store-here' };
  const why = continueAsNewReason(state, run);
  if (why && !state.slackBusy && !state.storeLane?.busy) return { kind: 'continue-as-new', why };
  return { kind: 'wait', until: earliest(state.maintenanceCheckAt ?? null, storeDueAt(state, now)) };
}

export function decide(state: IncidentState, now: number, run: RunFacts): Effect {
  if (!state.policy) return { kind: 'load-policy' };
  if (state.pendingCancel) return { kind: 'cancel' };
  // Revision 8: a merge is told to the other incident first; a merged one forwards its group's alerts there
  // (once that one has closed, they open a new incident when this one's close is done: below).
  if (state.pendingMerge) return { kind: 'merge' };
  if (state.mergedInto?.forward.length && !state.mergedInto.ended) return { kind: 'forward' };
  if (state.pendingRaise && revisionAtLeast(state, 2)) return { kind: 'raise-severity' };
  if (state.status === 'suppressed') return whileSuppressed(state, now, run);
  if (state.pendingRelapse !== null) return { kind: 'reopen', reason: state.pendingRelapse };
  if (ackExpired(state, now)) return { kind: 're-alert' };
  // Revision 7: another team's policy takes over before anything more is paged by the old one.
  const open =
    state.status === 'triggered' || state.status === 'acknowledged' || state.status === 'mitigating';
  if (state.pendingReassign && open) return { kind: 'reassign' };
  if (state.pendingEscalations.length && state.status !== 'monitoring')
    return { kind: 'escalate-now', reason: state.pendingEscalations[0] };
  if (state.pagesOwed?.length && state.status === 'triggered') return { kind: 'page-owed' };
  const rung = dueRung(state, now);
  // Revision 7: a severity that keeps to business hours waits for them (the seed's P3: next business day).
  const wait = rung && afterHours(state, policyLevel(state, rung.level), now);
  if (wait) return { kind: 'after-hours', ...wait };
  if (rung) return { kind: 'page', rung };
  // A deadline that passed with no rung to page would be waited on for ever, in a spin: the ladder ended.
  if (state.status === 'triggered' && state.nextEscalationAt !== null && state.nextEscalationAt <= now)
    return { kind: 'ladder-end' };
  // Revision 9: a paged person's rule asks for another channel now (or a moot one leaves the queue).
  if (followUpDue(state, now)) return { kind: 'follow-up' };
  // Revision 7: responders added to the incident, each on its own ladder beside the incident's.
  const responder = responderDue(state, now);
  if (responder) return { kind: 'responder', ...responder };
  if (state.opening[0] === 'security') return { kind: 'opening', task: 'security' };
  if (state.pendingPagerDutyAck) return { kind: 'pagerduty-ack' };
  if (state.approvalForwards.length) return { kind: 'forward-approval' };
  if (state.runbookSeverityChanged) return { kind: 'forward-severity' };
  if (state.runbookOutcome) return { kind: 'runbook-ended' };
  if (state.opening.length) return { kind: 'opening', task: state.opening[0] };
  if (state.pendingResolve) return { kind: 'verify-resolve' };
  if (state.status === 'monitoring' && state.watch && now >= state.watch.nextCheckAt)
    return { kind: 'watch-check' };
  if (state.nextStatusUpdateAt !== null && now >= state.nextStatusUpdateAt)
    return { kind: 'status-update', dueAt: state.nextStatusUpdateAt };
  // Timeline entries leave for the journal in batches, and all of them before the review reads it.
  const queued = state.journalQueue?.length ?? 0;
  if (queued >= JOURNAL_BATCH || (queued && state.closing)) return { kind: 'write-journal' };
  // Revision 4 builds the review from the store: every entry before it goes there first.
  const reviewWaits = state.closing?.[0] === 'review' && storeUnwritten(state);
  if (reviewWaits && storeDue(state, now)) return { kind: 'store' };
  // Revision 5: written here at once, so that the close goes on in one step, as on revision 3 (and its Slack
  // messages leave in one post, not two). Nothing is paged while an incident closes.
  if (reviewWaits && storeHereDue(state, now)) return { kind: 'store-here' };
  if (state.closing?.length && !reviewWaits) return { kind: 'closing', task: state.closing[0] };
  const why = continueAsNewReason(state, run);
  if (why && !state.closing && carriesOver(state)) return { kind: 'continue-as-new', why };
  if (!state.slackBusy && (state.slackQueue.length || state.outbox.length)) return { kind: 'slack' };
  if (storeDue(state, now)) return { kind: 'store' };
  // Revision 5: last of all, so that the local activity is issued in a step that issued no page.
  if (storeHereDue(state, now)) return { kind: 'store-here' };
  if (state.closing && !busy(state) && !forwarding(state))
    return { kind: state.mergedInto?.forward.length ? 'open-anew' : 'complete' };
  if (why && !busy(state)) return { kind: 'continue-as-new', why };
  return {
    kind: 'wait',
    until: earliest(
      state.status === 'triggered' ? state.nextEscalationAt : null,
      state.status === 'acknowledged' || state.status === 'mitigating' ? state.ackExpiresAt : null,
      state.nextStatusUpdateAt,
      state.status === 'monitoring' ? (state.watch?.nextCheckAt ?? null) : null,
      storeDueAt(state, now),
      responderWakeAt(state),
      followUpWakeAt(state),
    ),
  };
}
