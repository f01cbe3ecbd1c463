/**
 * Runs the effect `decide` chose: the activity calls of `effects.ts`, then the state change their answers
 * make (`transitions.ts`, `lifecycle.ts`). Failures are recorded, never thrown: an unreachable pager or
 * Slack must not stop the ladder. Slack calls are started by the loop and never awaited (`sendSlack`).
 */
import type { MaintenanceWindow } from '../../domain/messages';
import { formatElapsed, pagedAlerts } from '../../domain/policy';
import type { Effect } from './decide';
import * as effects from './effects';
import { describeError } from './effects';
import { policyLevel, rungAfter, severityRule } from './ladder';
import {
  adoptPolicy,
  beginMonitoring,
  beginResponse,
  closeSuppressed,
  healthVerified,
  noticeSent,
  openAfterMaintenance,
  pageInstead,
  queueAnnouncement,
  queueStatusUpdate,
  runbookEnded,
  suppress,
  takeTicket,
  watchChecked,
} from './lifecycle';
import {
  CLOSE_STOPS_RUNBOOK,
  hasPatch,
  MAINTENANCE_WINDOWS,
  RUNBOOK_FOLLOWS_SEVERITY,
  TIMELINE_JOURNAL,
} from './patches';
import { runReassign, runResponder } from './run-responders';
import { runFollowUp } from './run-follow-up';
import { endMerges, runForward, runMerge } from './run-merge';
import { deliver, pageLevel, quietly } from './send-page';
import { record, type ClosingTask, type IncidentState, type SlackItem } from './state';
import { storedReview } from './store-writes';
import { automaticStatusMessage } from '../../domain/status-page';
import {
  advanceLadder,
  beginCancel,
  beginClose,
  beginReAlert,
  deferToBusinessHours,
  noteLadderEnd,
  raiseFromAlert,
  reopen,
} from './transitions';

/** What the shell provides that cannot live in state: child workflows. */
export interface ShellHooks {
  startRunbook(): Promise<void>;
  signalRunbook(forward: IncidentState['approvalForwards'][number]): Promise<void>;
  retimeRunbook(severity: string, respondWithinMs: number): Promise<void>;
  cancelRunbook(): Promise<void>;
  startReviewReminder(): Promise<void>;
}

/** Records a failed call in the timeline (not announced) under `what`. */
const failed = (state: IncidentState, what: string) => (err: unknown) =>
  record(state, Date.now(), 'error', `${what}: ${describeError(err)}`, quietly);

export async function runEffect(state: IncidentState, effect: Effect, hooks: ShellHooks): Promise<void> {
  const now = Date.now();
  switch (effect.kind) {
    case 'load-policy':
      return loadPolicy(state, now);
    case 'maintenance-check': {
      const window = await maintenanceAt(state, now);
      return window ? suppress(state, window, now) : openAfterMaintenance(state, now);
    }
    case 'close-suppressed':
      return closeSuppressed(state, now);
    case 'reopen':
      return reopen(state, effect.reason, now);
    case 're-alert': {
      const { level, reason } = beginReAlert(state, now);
      await sendPage(state, level, 'page', reason);
      state.nextEscalationAt = rungAfter(state, state.ladderStep - 1, now);
      noteLadderEnd(state, Date.now());
      return;
    }
    case 'raise-severity':
      return raiseFromAlert(state, now);
    case 'page-owed': {
      const owed = state.pagesOwed!.shift()!;
      return sendPage(state, owed.level, 'page', owed.reason);
    }
    case 'responder':
      return runResponder(state, effect.index, effect.action, now);
    case 'follow-up':
      return runFollowUp(state);
    case 'merge':
      return runMerge(state);
    case 'forward':
      return runForward(state);
    case 'reassign':
      return runReassign(state);
    case 'after-hours':
      return deferToBusinessHours(state, effect.until, effect.why, now);
    case 'ladder-end':
      state.nextEscalationAt = null;
      return noteLadderEnd(state, now);
    case 'cancel': {
      // The UI's identity is in the history, not the run: asked once, and a failure only loses the name.
      const asked = await effects.cancellationRequest(state).catch(() => null);
      if (asked && state.pendingCancel)
        state.pendingCancel = {
          by: asked.identity.slice(0, 200),
          reason: asked.reason ? asked.reason.slice(0, 500) : 'cancellation requested in Temporal',
        };
      return beginCancel(state, Date.now());
    }
    case 'escalate-now':
      state.pendingEscalations.shift();
      return pageStep(state, state.ladderStep, effect.reason, now);
    case 'page':
      return pageStep(state, effect.rung.step, effect.rung.reason, effect.rung.dueAt);
    case 'opening':
      state.opening.shift();
      return open(state, effect.task, hooks);
    case 'pagerduty-ack':
      state.pendingPagerDutyAck = false;
      return updatePagedAlerts(state, 'acknowledge');
    case 'forward-approval': {
      const forward = state.approvalForwards.shift()!;
      const what = `could not pass ${forward.kind} to the runbook`;
      if (!state.runbook?.running) return record(state, now, 'error', `${what}: it is not running`, quietly);
      return hooks.signalRunbook(forward).catch(failed(state, what));
    }
    case 'forward-severity': {
      state.runbookSeverityChanged = false;
      // Runs recorded before this patch did not tell the runbook; replaying them must not either.
      if (!state.runbook?.running || !hasPatch(RUNBOOK_FOLLOWS_SEVERITY)) return;
      const rule = severityRule(state)!;
      return hooks
        .retimeRunbook(state.input.severity, rule.respondWithinMs)
        .catch(failed(state, 'could not tell the runbook the new severity'));
    }
    case 'runbook-ended':
      return runbookEnded(state, now);
    case 'verify-resolve':
      return verifyResolve(state, now);
    case 'watch-check': {
      const health = await effects.checkHealth(state);
      const after = Date.now();
      if (watchChecked(state, health, after) !== 'stable') return;
      if (state.runbook?.running) await stopRunbook(state, hooks);
      return beginClose(state, `stable for ${formatElapsed(state.policy!.stabilityWatchMs)}`, after);
    }
    case 'status-update':
      return queueStatusUpdate(state, effect.dueAt, now);
    case 'write-journal':
      return writeJournal(state);
    case 'closing':
      state.closing!.shift();
      return close(state, effect.task, hooks);
    case 'slack':
    case 'store':
    case 'store-here':
    case 'complete':
    case 'open-anew':
    case 'continue-as-new':
    case 'wait':
      throw new Error(`${effect.kind} is the shell's to carry out`);
  }
}

/** Pages one level (ladder, security -1 or management -2) with a PagerDuty key of its own. */
function sendPage(
  state: IncidentState,
  level: number,
  channel: 'page' | 'slack',
  reason: string,
  round?: number,
): Promise<void> {
  return pageLevel(state, policyLevel(state, level), { level, channel, reason, round });
}

/** Acknowledges or resolves every PagerDuty alert the incident's pages opened. */
async function updatePagedAlerts(state: IncidentState, action: 'acknowledge' | 'resolve'): Promise<void> {
  const alerts = pagedAlerts(state.paged, state.incidentId);
  if (!alerts.length) return;
  await deliver(state, `PagerDuty ${action}`, () => effects.pagingUpdate(state, action, alerts));
}

/** Pages the ladder step `step` now and says when the next rung is due (anchored at `dueAt`). */
async function pageStep(state: IncidentState, step: number, reason: string | null, dueAt: number) {
  const at = advanceLadder(state, step, dueAt, Date.now());
  if (!at) return;
  await sendPage(state, at.level, at.channel, reason ?? '', at.round);
  noteLadderEnd(state, Date.now());
}

/** An external status page hears the phase in neutral words: the alert's text is for responders only. */
const automaticMessage = (state: IncidentState, phase: Parameters<typeof automaticStatusMessage>[0]) =>
  automaticStatusMessage(phase, state.input.service, state.policy?.statusFirstMessage);

async function statusPage(
  state: IncidentState,
  phase: 'investigating' | 'monitoring' | 'resolved',
  message: string,
) {
  if (!state.policy?.service.customerFacing || !state.policy.statusPageEnabled) return;
  const result = await deliver(state, 'status page', () => effects.updateStatusPage(state, phase, message));
  record(state, Date.now(), 'status-page', `status page ${phase}: ${result.detail}`);
}

/** Moves the queued timeline entries to the incident's journal; if it cannot be written, they are lost. */
async function writeJournal(state: IncidentState) {
  const entries = state.journalQueue!.splice(0, state.journalQueue!.length);
  // Runs recorded before the journal dropped these entries; replaying them must not write.
  if (!hasPatch(TIMELINE_JOURNAL)) {
    state.timelineDropped += entries.length;
    return;
  }
  const firstSeq = state.journaled ?? 0;
  try {
    await effects.appendTimeline(state, firstSeq, entries);
    state.journaled = firstSeq + entries.length;
  } catch (err) {
    state.timelineDropped += entries.length;
    failed(state, 'timeline journal could not be written')(err);
  }
}

async function loadPolicy(state: IncidentState, now: number) {
  // A person who declares an incident means it: maintenance does not silence it. The patch is asked before
  // the policy's local activity: asked after it, a replay meets the marker before the code asks for it.
  const checkMaintenance =
    state.status === 'triggered' && !state.input.declaredBy && hasPatch(MAINTENANCE_WINDOWS);
  const { service, scenario } = state.input;
  const policy = await effects.readPolicy(service, scenario).catch((err) => {
    // The service's policy cannot be read: page by the default one rather than not at all.
    const why = `policy for ${service} unreadable (${describeError(err)}): paging the default ladder`;
    record(state, now, 'error', why, quietly);
    return effects.readPolicy('', scenario);
  });
  adoptPolicy(state, policy, now);
  if (checkMaintenance) {
    const window = await maintenanceAt(state, now);
    if (window) return suppress(state, window, now);
  }
  beginResponse(state, now);
}

/**
 * The service's maintenance window under way now, or null. A window that cannot be read counts as none:
 * paging during planned work is a nuisance, not paging during an outage is the failure we exist to prevent.
 */
async function maintenanceAt(state: IncidentState, now: number): Promise<MaintenanceWindow | null> {
  return effects.maintenanceWindow(state.input.service, now).catch((err) => {
    record(
      state,
      now,
      'error',
      `maintenance windows unreadable (${describeError(err)}): opening normally`,
      quietly,
    );
    return null;
  });
}

async function open(state: IncidentState, task: IncidentState['opening'][number], hooks: ShellHooks) {
  const now = Date.now();
  switch (task) {
    case 'security':
      return sendPage(state, -1, 'page', 'security incident: security team paged');
    case 'announce':
      return queueAnnouncement(state);
    case 'ticket': {
      if (!takeTicket(state)) return;
      const result = state.policy!.ticketsEnabled
        ? await deliver(state, 'ticket', () => effects.createTicket(state))
        : {
            delivered: false,
            detail: 'no ticket system configured; recorded here for the next business day',
          };
      return record(state, now, 'ticket', `ticket for the next business day: ${result.detail}`);
    }
    case 'status-page':
      return statusPage(
        state,
        'investigating',
        automaticMessage(
          state,
          state.timeline.some((e) => e.type === 'reopened') ? 'returned' : 'investigating',
        ),
      );
    case 'management':
      return sendPage(state, -2, 'slack', `${state.input.severity} incident: management notified`);
    case 'runbook':
      return hooks.startRunbook();
  }
}

async function verifyResolve(state: IncidentState, now: number) {
  if (!beginMonitoring(state, now)) return;
  const health = await effects.checkHealth(state);
  if (!healthVerified(state, health, Date.now())) return;
  await statusPage(state, 'monitoring', automaticMessage(state, 'monitoring'));
}

async function stopRunbook(state: IncidentState, hooks: ShellHooks) {
  record(state, Date.now(), 'runbook', 'runbook stopped: the incident closed while it was still running');
  state.runbook!.running = false;
  state.pendingApprovals = [];
  await hooks.cancelRunbook().catch(failed(state, 'could not stop the runbook'));
}

async function close(state: IncidentState, task: ClosingTask, hooks: ShellHooks) {
  switch (task) {
    case 'stop-runbook':
      // Runs recorded before this patch left the runbook running at the close; replaying them must too.
      if (state.runbook?.running && hasPatch(CLOSE_STOPS_RUNBOOK)) await stopRunbook(state, hooks);
      return;
    case 'pagerduty-resolve':
      return updatePagedAlerts(state, 'resolve');
    case 'status-page':
      return statusPage(state, 'resolved', automaticMessage(state, 'resolved'));
    case 'review':
      try {
        const review = (state.storeLane && (await storedReview(state))) || (await effects.writeReview(state));
        state.reviewPath = review.path;
        record(state, Date.now(), 'review', `post-incident review written: ${review.path}`);
      } catch (err) {
        // A full disk must not keep the incident open (and swallowing its group's alerts) forever.
        record(
          state,
          Date.now(),
          'error',
          `post-incident review could not be written: ${describeError(err)}`,
        );
      }
      return;
    case 'reminder':
      if (!state.reviewScheduledBy && state.reviewPath) await hooks.startReviewReminder();
      return;
    case 'merge-ended':
      return endMerges(state);
    case 'archive-channel': {
      const result = await deliver(state, 'archiving the incident channel', () =>
        effects.archiveChannel(state),
      );
      return record(state, Date.now(), 'note', result.detail, quietly);
    }
  }
}

/** Sends one Slack item; the caller does not wait for it. Records the outcome in the state. */
export async function sendSlack(state: IncidentState, item: SlackItem): Promise<void> {
  try {
    const answer = await effects.slackCall(state, item);
    if (answer.kind === 'announced') state.thread = answer.thread;
    else if (answer.kind === 'notified' && item.kind === 'notice')
      noticeSent(state, item, answer.result, Date.now());
  } catch (err) {
    failed(state, `Slack ${item.kind} failed`)(err);
    if (item.kind === 'notice') pageInstead(state, item, describeError(err));
  }
}
