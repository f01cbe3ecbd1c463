/**
 * Pure changes of the incident's state on its response: a severity change (by a person or by a more severe
 * alert), the ladder's steps and stated end, a page and its outcome, a cancellation, the close and a
 * relapse. No activity calls: `run-effect.ts` carries out what these queue and returns the answers here.
 * `now` is passed in. The phases around them (opening, maintenance, the watch, the Slack lane) are in
 * `lifecycle.ts`.
 */
import { formatElapsed, parseSeverity, type levelAt } from '../../domain/policy';
import type { DeliveryResult } from '../../activities/contract';
import type { PageRecord, Severity } from '../../domain/types';
import { SEVERITIES } from '../../domain/types';
import {
  ackExpiry,
  acknowledgerLevel,
  firstRungDue,
  activeLadder,
  ladderPosition,
  retimeAfterSeverityChange,
  rungAfter,
  severityRule,
  statusUpdateFrom,
} from './ladder';
import { queuePage, record, stopClocks, type ClosingTask, type IncidentState } from './state';

/** Whether the run follows the rules of engine revision `n` or later (see `IncidentPolicy.revision`). */
export function revisionAtLeast(state: IncidentState, n: number): boolean {
  return (state.policy?.revision ?? 1) >= n;
}

/** P1 is more severe than P2: the lower the index, the more severe. */
export function moreSevere(a: Severity, b: Severity): boolean {
  return SEVERITIES.indexOf(a) < SEVERITIES.indexOf(b);
}

/**
 * Sets the incident's severity: the response clock restarts by the new severity's policy, and (revision
 * 2) a raise brings the duties the new severity has at opening that the old one did not: management's
 * notice and the status page.
 */
export function changeSeverity(state: IncidentState, severity: Severity, now: number, by: string, why = '') {
  const before = state.input.severity;
  const oldRule = severityRule(state);
  record(state, now, 'severity', `severity changed ${before} → ${severity}${why}; response clock restarted`, {
    actor: by,
  });
  state.input = { ...state.input, severity };
  state.nextEscalationAt = retimeAfterSeverityChange(state, now);
  state.nextStatusUpdateAt = statusUpdateFrom(state, now);
  if (state.acknowledgedAt !== null) state.ackExpiresAt = ackExpiry(state, now);
  if (state.runbook?.running) state.runbookSeverityChanged = true;
  const rule = state.policy?.severity[severity];
  if (rule?.notify === 'ticket' && !state.ticketOpened) state.opening.push('ticket');
  if (!revisionAtLeast(state, 2) || !rule) return;
  state.ladderExhausted = null;
  if (moreSevere(severity, before) && rule.notifyManagement && !oldRule?.notifyManagement) {
    if (state.policy!.management.contactIds.length) state.opening.push('management');
    state.opening.push('status-page');
  }
  noteLadderEnd(state, now);
}

/**
 * A source alert more severe than the incident raises it at once; a less severe one never lowers it. A
 * triggered incident pages now: nobody yet, the first rung; else the last level paged again, with the
 * ladder's clock restarted.
 */
export function raiseFromAlert(state: IncidentState, now: number): void {
  const raise = state.pendingRaise;
  state.pendingRaise = null;
  if (!raise || !moreSevere(raise.severity, state.input.severity) || state.status === 'resolved') return;
  changeSeverity(state, raise.severity, now, 'alerts', ` by alert "${raise.summary}"`);
  if (state.status !== 'triggered') return;
  if (state.ladderStep === 0) {
    state.nextEscalationAt = now;
    return;
  }
  const reason = `severity raised to ${raise.severity} by alert "${raise.summary}"`;
  (state.pagesOwed ??= []).push({ level: acknowledgerLevel(state), reason });
  state.nextEscalationAt = rungAfter(state, state.ladderStep - 1, now);
  noteLadderEnd(state, now);
}

/** Remembers the most severe firing alert that outranks the incident, for `raiseFromAlert`. */
export function noteAlertSeverity(state: IncidentState, severity: unknown, summary: string): void {
  const s = parseSeverity(severity);
  if (!s || !moreSevere(s, state.input.severity)) return;
  if (state.pendingRaise && !moreSevere(s, state.pendingRaise.severity)) return;
  state.pendingRaise = { severity: s, summary: summary.slice(0, 200) };
}

/**
 * States once, in the timeline and Slack, why a triggered incident with no rung due pages nobody more
 * (revision 2): a walked ladder under `afterLadder: stop`, or a severity that does not escalate.
 */
export function noteLadderEnd(state: IncidentState, now: number): void {
  if (!revisionAtLeast(state, 2) || state.status !== 'triggered' || state.nextEscalationAt !== null) return;
  // Before the first page there is always a rung due (the first); after any, this may be the end.
  if (state.ladderExhausted || !state.paged.some((p) => p.level >= 0)) return;
  const rule = severityRule(state);
  const severity = state.input.severity;
  const why = !rule?.escalate
    ? `${severity} does not escalate (severityPolicy.${severity}.escalate is false): nobody more is paged unless its severity rises or someone escalates`
    : `the ladder was walked (escalation.afterLadder is stop): nobody more is paged until someone acknowledges or escalates`;
  state.ladderExhausted = { at: now, why };
  record(state, now, 'escalated', `ladder exhausted at +${formatElapsed(now - state.createdAt)}: ${why}`);
}

/** Who asked Temporal to cancel the run, and why, as a command to close the incident as cancelled. */
export function requestCancel(state: IncidentState, by: string, reason: string): void {
  if (state.status === 'resolved' || state.status === 'cancelled' || state.pendingCancel) return;
  state.pendingCancel = { by: by.slice(0, 200), reason: reason.slice(0, 500) };
}

/** An incident closed without a resolution to verify: nothing asked of it or due from it stands. */
function dropWhatWasDue(state: IncidentState): void {
  state.pendingRelapse = null;
  state.pendingResolve = null;
  state.pendingEscalations = [];
  state.pendingRaise = null;
  state.pagesOwed = [];
  state.opening = [];
  state.ladderExhausted = null;
  stopClocks(state);
}

/**
 * Closes the incident as cancelled: who asked and why go to the timeline and the thread, and the close
 * runs as for a resolution (PagerDuty resolved, status page, review, channel archived) but pages nobody.
 */
export function beginCancel(state: IncidentState, now: number): void {
  const { by, reason } = state.pendingCancel!;
  state.pendingCancel = null;
  state.status = 'cancelled';
  state.resolvedAt = now;
  state.resolvedBy = by;
  state.resolutionSummary = `cancelled: ${reason}`;
  dropWhatWasDue(state);
  record(state, now, 'resolved', `cancelled through Temporal by ${by}: ${reason}; escalation stopped`, {
    actor: by,
  });
  if (state.alertStatus.some(([, s]) => s === 'firing'))
    record(
      state,
      now,
      'note',
      'source alerts are still firing: the next notification of this alert group opens a new incident',
    );
  state.closing = closingTasks(state, false);
}

/**
 * Revision 8: closes the incident as merged into another, which took its alerts: the close runs as for a
 * resolution (PagerDuty resolved, status page, review) but proposes no review meeting of its own.
 */
export function beginMerged(state: IncidentState, into: string, by: string, now: number): void {
  state.status = 'resolved';
  state.resolvedAt = now;
  state.resolvedBy = by;
  state.resolutionSummary = `merged into ${into}`;
  dropWhatWasDue(state);
  record(state, now, 'resolved', `merged into ${into}: its alerts and this alert group feed it from now on`, {
    actor: by,
  });
  state.closing = closingTasks(state, false);
}

/**
 * The ladder's part of paging step `step` (due at `dueAt`): where the page goes, with the ladder moved on
 * and the next rung timed (the status shows the next rung while the page is in flight); null, recorded,
 * when nobody is left to page.
 */
export function advanceLadder(
  state: IncidentState,
  step: number,
  dueAt: number,
  now: number,
): { level: number; round: number; channel: 'page' | 'slack' } | null {
  const at = ladderPosition(activeLadder(state)!, step);
  if (!at) {
    record(
      state,
      now,
      'escalated',
      `escalation ladder exhausted after ${state.paged.length} pages: nobody left to page`,
    );
    state.nextEscalationAt = null;
    return null;
  }
  const channel = step === 0 && severityRule(state)!.notify === 'slack' ? 'slack' : 'page';
  state.ladderStep = step + 1;
  state.nextEscalationAt = rungAfter(state, step, dueAt);
  return { level: at.level, round: at.round, channel };
}

/** An acknowledgement that timed out: triggered again, and the acknowledger's level is paged. */
export function beginReAlert(state: IncidentState, now: number): { level: number; reason: string } {
  const who = state.acknowledgedBy ?? 'someone';
  const timeout = formatElapsed((state.ackExpiresAt ?? now) - (state.acknowledgedAt ?? now));
  state.status = 'triggered';
  state.acknowledgedAt = null;
  state.acknowledgedBy = null;
  state.ackExpiresAt = null;
  const reason = `acknowledged by ${who} but not resolved within ${timeout}: alerting again`;
  record(state, now, 'escalated', reason);
  return { level: acknowledgerLevel(state), reason };
}

/** Closes a stable incident: resolved now, then the closing tasks run (they can still be cut by a relapse). */
export function beginClose(state: IncidentState, how: string, now: number): void {
  state.status = 'resolved';
  state.resolvedAt = now;
  stopClocks(state);
  record(
    state,
    now,
    'resolved',
    `resolved: ${how}; time to resolve ${formatElapsed(now - state.createdAt)}`,
    {
      actor: state.resolvedBy ?? undefined,
    },
  );
  state.closing = closingTasks(state, true);
}

/** A relapse: triggered again from the first rung, the close (if under way) cut short. */
export function reopen(state: IncidentState, reason: string, now: number): void {
  state.pendingRelapse = null;
  state.status = 'triggered';
  state.acknowledgedAt = null;
  state.acknowledgedBy = null;
  state.resolvedBy = null;
  state.resolvedAt = null;
  stopClocks(state);
  state.closing = null;
  state.ladderStep = 0;
  state.ladderExhausted = null;
  record(state, now, 'reopened', `incident reopened: ${reason}; escalation restarted`);
  state.nextEscalationAt = firstRungDue(state, now);
  state.nextStatusUpdateAt = statusUpdateFrom(state, now);
  state.opening.push('status-page');
  if (state.runbook && !state.runbook.running) state.opening.push('runbook');
}

/** The close, in order: a cancelled incident has no review reminder (nobody resolved it). */
function closingTasks(state: IncidentState, reminder: boolean): ClosingTask[] {
  return [
    ...(state.runbook?.running ? (['stop-runbook'] as const) : []),
    'pagerduty-resolve',
    'status-page',
    'review',
    ...(reminder ? (['reminder'] as const) : []),
    // Its own Slack channel (only ever set with channelPerIncident) is archived last, after the review link.
    ...(state.thread?.own ? (['archive-channel'] as const) : []),
    // Revision 8: the incidents merged into this one forward no more.
    ...(state.mergedFrom?.length ? (['merge-ended'] as const) : []),
  ];
}

/**
 * A page to `target` at ladder level `level` (security -1, management -2), numbered and kept in the state.
 * A Slack notice is queued for the Slack lane, which records its outcome: null. Else the page, with its
 * dedup key, for the pager to send.
 */
export function addPage(
  state: IncidentState,
  target: ReturnType<typeof levelAt>,
  page: { level: number; channel: 'page' | 'slack'; reason: string; round?: number },
  now: number,
): PageRecord | null {
  const reason = target.onCall ? `${page.reason}; ${target.onCall}` : page.reason;
  state.pageSeq += 1;
  const seq = state.pageSeq;
  const added: PageRecord = {
    at: new Date(now).toISOString(),
    level: page.level,
    levelName: target.name,
    contactIds: target.contactIds,
    contacts: target.contactNames,
    channel: page.channel,
    reason,
    delivered: false,
    seq,
    ...(page.round !== undefined ? { round: page.round } : {}),
  };
  state.paged.push(added);
  queuePage(state, added);
  if (page.channel === 'slack') {
    state.slackQueue.push({
      kind: 'notice',
      pageSeq: seq,
      levelName: target.name,
      contactIds: target.contactIds,
      reason,
    });
    return null;
  }
  added.dedupKey = `${state.incidentId}/page-${seq}`;
  return added;
}

/** The pager's answer for `page`: delivered or not, in the timeline either way (the ladder goes on). */
export function pageSent(state: IncidentState, page: PageRecord, result: DeliveryResult, now: number): void {
  page.delivered = result.delivered;
  queuePage(state, page);
  record(
    state,
    now,
    'page',
    `${result.delivered ? 'paged' : 'page NOT delivered to'} ${page.levelName} (${page.contacts.join(', ')}): ${page.reason} — ${result.detail}`,
  );
}

/** Revision 7: the rung due now waits for business hours; the timeline and the thread say until when. */
export function deferToBusinessHours(state: IncidentState, until: number, why: string, now: number): void {
  state.nextEscalationAt = until;
  record(state, now, 'escalated', why);
}
