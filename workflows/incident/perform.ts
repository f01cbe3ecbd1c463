/**
 * Carries out the effect `decide` chose: the activity calls, then the state change their answers make.
 * Slack calls are started here but never awaited by the loop (see `startSlack`).
 */
import { proxyActivities, proxyLocalActivities, workflowInfo } from '@temporalio/workflow';
import type { DeliveryResult, IncidentActivities } from '../../activities/contract';
import { formatElapsed, levelAt, pagedAlerts, type LadderLevel } from '../../domain/policy';
import type { StoredOverride } from '../../domain/oncall';
import type { MaintenanceWindow } from '../../domain/messages';
import { journalInsertPoint, openMessage, reviewMarkdown } from '../../domain/render';
import { chatTaskQueue } from '../../domain/task-queues';
import type { PageRecord } from '../../domain/types';
import type { Effect } from './decide';
import { ackExpiry, firstRungDue, policyLevel, rungAfter, severityRule, statusUpdateFrom } from './ladder';
import {
  CLOSE_STOPS_RUNBOOK,
  hasPatch,
  MAINTENANCE_WINDOWS,
  PAGES_FIRST,
  POLICY_LOCAL_ACTIVITY,
  RUNBOOK_FOLLOWS_SEVERITY,
  TIMELINE_JOURNAL,
} from './patches';
import { record, stopClocks, toView, type ClosingTask, type IncidentState, type SlackItem } from './state';
import {
  advanceLadder,
  closeSuppressed,
  openAfterMaintenance,
  queueStatusUpdate,
  runbookEnded,
  healthSummary,
  openingTasks,
  pageInstead,
  suppress,
  beginCancel,
  beginClose,
  beginReAlert,
  noteLadderEnd,
  raiseFromAlert,
  reopen,
} from './transitions';

const BACKOFF = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' } as const;
// A page is the product: retried for a while, then recorded as undelivered so the ladder goes on.
const pager = proxyActivities<IncidentActivities>({
  startToCloseTimeout: '30s',
  retry: { ...BACKOFF, maximumAttempts: 8 },
});
// Slack runs in its own lane; a dead Slack only delays Slack. Since PAGES_FIRST the lane has a task
// queue of its own, paced by the workers, so that a storm's chatter queues behind the pages, not before.
const CHAT_OPTIONS = { startToCloseTimeout: '30s', retry: { ...BACKOFF, maximumAttempts: 8 } } as const;
const sharedChat = proxyActivities<IncidentActivities>(CHAT_OPTIONS);
const chatLane = () =>
  hasPatch(PAGES_FIRST)
    ? proxyActivities<IncidentActivities>({
        ...CHAT_OPTIONS,
        taskQueue: chatTaskQueue(workflowInfo().taskQueue),
      })
    : sharedChat;
// Tickets and the status page: bounded like pages.
const adapters = pager;
// Local reads and writes: bounded too, so a broken disk or config is recorded instead of wedging the run.
const local = proxyActivities<IncidentActivities>({
  startToCloseTimeout: '1m',
  retry: { ...BACKOFF, maximumInterval: '30s', maximumAttempts: 6 },
});

// Reading the policy is a lookup in the worker's own configuration: a local activity saves the first page
// a round trip through the server (most of alert → page when many incidents open at once).
const lookup = proxyLocalActivities<IncidentActivities>({
  startToCloseTimeout: '10s',
  retry: { ...BACKOFF, maximumAttempts: 3 },
});
// Maintenance windows and on-call overrides stand between an alert and its page: asked briefly, and
// when they cannot be answered the incident pages as if there were none.
const onCallLookup = proxyLocalActivities<IncidentActivities>({
  startToCloseTimeout: '3s',
  retry: { ...BACKOFF, maximumAttempts: 2 },
});
const readPolicy = (service: string, scenario: string) =>
  (hasPatch(POLICY_LOCAL_ACTIVITY) ? lookup : local).loadIncidentPolicy({ service, scenario });

export function describeError(err: unknown): string {
  const cause = (err as { cause?: { message?: string } }).cause;
  return cause?.message ?? (err as Error).message ?? String(err);
}

async function deliver(state: IncidentState, what: string, send: () => Promise<DeliveryResult>) {
  try {
    return await send();
  } catch (err) {
    const detail = `${what} failed: ${describeError(err)}`;
    record(state, Date.now(), 'error', detail, { announce: false });
    return { delivered: false, detail } satisfies DeliveryResult;
  }
}

/** The overrides of the level's schedule (none for fixed levels); unreadable ones are recorded, not fatal. */
async function overridesFor(state: IncidentState, level: LadderLevel): Promise<StoredOverride[]> {
  if (!level.schedule) return [];
  try {
    return await onCallLookup.onCallOverrides({ schedule: level.schedule.name });
  } catch (err) {
    record(
      state,
      Date.now(),
      'error',
      `overrides of schedule ${level.schedule.name} unreadable (${describeError(err)}): paging by its rotations`,
      { announce: false },
    );
    return [];
  }
}

/** Pages one level (ladder, security -1 or management -2) with a PagerDuty key of its own. */
async function sendPage(
  state: IncidentState,
  level: number,
  channel: 'page' | 'slack',
  reason: string,
  round?: number,
): Promise<void> {
  const policy = state.policy!;
  // A schedule's person is whoever is on call now, at this page: a handoff mid-incident pages the new one.
  const configured = policyLevel(policy, level);
  const target = levelAt(configured, Date.now(), await overridesFor(state, configured));
  if (target.onCall) reason = `${reason}; ${target.onCall}`;
  state.pageSeq += 1;
  const seq = state.pageSeq;
  const page: PageRecord = {
    at: new Date(Date.now()).toISOString(),
    level,
    levelName: target.name,
    contactIds: target.contactIds,
    contacts: target.contactNames,
    channel,
    reason,
    delivered: false,
    seq,
    ...(round !== undefined ? { round } : {}),
  };
  state.paged.push(page);
  if (channel === 'slack') {
    // A Slack mention goes through the Slack lane; its outcome is recorded when the lane delivers it.
    state.slackQueue.push({
      kind: 'notice',
      pageSeq: seq,
      levelName: target.name,
      contactIds: target.contactIds,
      reason,
    });
    return;
  }
  page.dedupKey = `${state.incidentId}/page-${seq}`;
  const result = await deliver(state, `paging ${target.name}`, () =>
    pager.pageContacts({
      incidentId: state.incidentId,
      workflowId: state.workflowId,
      service: state.input.service,
      severity: state.input.severity,
      summary: state.input.summary,
      levelName: target.name,
      contactIds: target.contactIds,
      channel,
      reason,
      thread: state.thread,
      dedupKey: page.dedupKey,
    }),
  );
  page.delivered = result.delivered;
  record(
    state,
    Date.now(),
    'page',
    `paged ${target.name} (${target.contactNames.join(', ')}): ${reason} — ${result.detail}`,
  );
}

/** Acknowledges or resolves every PagerDuty alert the incident's pages opened. */
async function updatePagedAlerts(state: IncidentState, action: 'acknowledge' | 'resolve'): Promise<void> {
  const alerts = pagedAlerts(state.paged, state.incidentId);
  if (!alerts.length) return;
  await deliver(state, `PagerDuty ${action}`, () =>
    pager.sendPagingUpdate({
      incidentId: state.incidentId,
      action,
      contactIds: [...new Set(alerts.map((a) => a.contactId))],
      alerts,
    }),
  );
}

/** Pages the ladder step `step` now and says when the next rung is due (anchored at `dueAt`). */
async function pageStep(
  state: IncidentState,
  step: number,
  reason: string | null,
  dueAt: number,
): Promise<void> {
  const at = advanceLadder(state, step, dueAt, Date.now());
  if (!at) return;
  await sendPage(state, at.level, at.channel, reason ?? '', at.round);
  noteLadderEnd(state, Date.now());
}

async function statusPage(
  state: IncidentState,
  phase: 'investigating' | 'monitoring' | 'resolved',
  message: string,
) {
  if (!state.policy?.service.customerFacing || !state.policy.statusPageEnabled) return;
  const result = await deliver(state, 'status page', () =>
    adapters.updateStatusPage({
      incidentId: state.incidentId,
      service: state.input.service,
      state: phase,
      message,
    }),
  );
  record(state, Date.now(), 'status-page', `status page ${phase}: ${result.detail}`);
}

/** What the shell provides that cannot live in state: child workflows. */
export interface ShellHooks {
  startRunbook(): Promise<void>;
  signalRunbook(forward: IncidentState['approvalForwards'][number]): Promise<void>;
  retimeRunbook(severity: string, respondWithinMs: number): Promise<void>;
  cancelRunbook(): Promise<void>;
  startReviewReminder(): Promise<void>;
}

export async function perform(state: IncidentState, effect: Effect, hooks: ShellHooks): Promise<void> {
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
    case 'ladder-end':
      state.nextEscalationAt = null;
      return noteLadderEnd(state, now);
    case 'cancel': {
      // The UI's identity is in the history, not the run: asked once, and a failure only loses the name.
      const asked = await local
        .cancellationRequest({ workflowId: state.workflowId, runId: workflowInfo().runId })
        .catch(() => null);
      if (asked && state.pendingCancel)
        state.pendingCancel = {
          by: asked.identity.slice(0, 200),
          reason: asked.reason ? asked.reason.slice(0, 500) : 'cancellation requested in Temporal',
        };
      return beginCancel(state, Date.now());
    }
    case 'escalate-now': {
      state.pendingEscalations.shift();
      await pageStep(state, state.ladderStep, effect.reason, now);
      return;
    }
    case 'page':
      return pageStep(state, effect.rung.step, effect.rung.reason, effect.rung.dueAt);
    case 'opening':
      state.opening.shift();
      return open(state, effect.task, hooks);
    case 'pagerduty-ack': {
      state.pendingPagerDutyAck = false;
      return updatePagedAlerts(state, 'acknowledge');
    }
    case 'forward-approval': {
      const forward = state.approvalForwards.shift()!;
      if (!state.runbook?.running) {
        record(state, now, 'error', `could not pass ${forward.kind} to the runbook: it is not running`, {
          announce: false,
        });
        return;
      }
      await hooks.signalRunbook(forward).catch((err) =>
        record(
          state,
          Date.now(),
          'error',
          `could not pass ${forward.kind} to the runbook: ${describeError(err)}`,
          {
            announce: false,
          },
        ),
      );
      return;
    }
    case 'forward-severity': {
      state.runbookSeverityChanged = false;
      // Runs recorded before this patch did not tell the runbook; replaying them must not either.
      if (!state.runbook?.running || !hasPatch(RUNBOOK_FOLLOWS_SEVERITY)) return;
      const rule = severityRule(state)!;
      await hooks.retimeRunbook(state.input.severity, rule.respondWithinMs).catch((err) =>
        record(
          state,
          Date.now(),
          'error',
          `could not tell the runbook the new severity: ${describeError(err)}`,
          {
            announce: false,
          },
        ),
      );
      return;
    }
    case 'runbook-ended':
      return runbookEnded(state, now);
    case 'verify-resolve':
      return verifyResolve(state, now);
    case 'watch-check': {
      const health = await local.checkServiceHealth({ urls: state.policy!.service.healthUrls });
      if (!health.healthy) {
        record(
          state,
          Date.now(),
          'health',
          `health check failed during the stability watch: ${healthSummary(health)}`,
        );
        state.pendingRelapse = 'health check failed during the stability watch';
        return;
      }
      const after = Date.now();
      const watch = state.watch!;
      if (after >= watch.endsAt) {
        if (state.runbook?.running) await stopRunbook(state, hooks);
        return beginClose(state, `stable for ${formatElapsed(state.policy!.stabilityWatchMs)}`, after);
      }
      watch.nextCheckAt = Math.min(after + state.policy!.checkEveryMs, watch.endsAt);
      return;
    }
    case 'status-update':
      return queueStatusUpdate(state, effect.dueAt, now);
    case 'write-journal':
      return writeJournal(state);
    case 'closing':
      state.closing!.shift();
      return close(state, effect.task, hooks);
    case 'slack':
    case 'complete':
    case 'continue-as-new':
    case 'wait':
      throw new Error(`${effect.kind} is the shell's to carry out`);
  }
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
    await local.appendTimeline({
      incidentId: state.incidentId,
      directory: state.policy!.reviewDirectory,
      firstSeq,
      entries,
    });
    state.journaled = firstSeq + entries.length;
  } catch (err) {
    state.timelineDropped += entries.length;
    record(state, Date.now(), 'error', `timeline journal could not be written: ${describeError(err)}`, {
      announce: false,
    });
  }
}

async function loadPolicy(state: IncidentState, now: number) {
  // A person who declares an incident means it: maintenance does not silence it. The patch is asked before
  // the policy's local activity: asked after it, a replay meets the marker before the code asks for it.
  const checkMaintenance =
    state.status === 'triggered' && !state.input.declaredBy && hasPatch(MAINTENANCE_WINDOWS);
  try {
    state.policy = await readPolicy(state.input.service, state.input.scenario);
  } catch (err) {
    // The service's policy cannot be read: page by the default one rather than not at all.
    record(
      state,
      now,
      'error',
      `policy for ${state.input.service} unreadable (${describeError(err)}): paging the default ladder`,
      {
        announce: false,
      },
    );
    state.policy = await readPolicy('', state.input.scenario);
  }
  // Anyone who can reach Temporal may name any scenario: one that is neither built in nor defined runs the
  // health runbook, and the timeline says why (as for the other start fields).
  if (state.policy.knownScenario === false) {
    record(
      state,
      now,
      'error',
      `start input: scenario "${state.input.scenario}" is unknown: using "health"`,
      {
        announce: false,
      },
    );
    state.input = { ...state.input, scenario: 'health' };
  }
  if (checkMaintenance) {
    const window = await maintenanceAt(state, now);
    if (window) return suppress(state, window, now);
  }
  state.nextEscalationAt = firstRungDue(state, state.createdAt);
  state.nextStatusUpdateAt = statusUpdateFrom(state, state.createdAt);
  if (state.status === 'acknowledged') state.ackExpiresAt = ackExpiry(state, state.acknowledgedAt ?? now);
  state.opening = openingTasks(state);
}

/**
 * The service's maintenance window under way now, or null. A window that cannot be read counts as none:
 * paging during planned work is a nuisance, not paging during an outage is the failure we exist to prevent.
 */
async function maintenanceAt(state: IncidentState, now: number): Promise<MaintenanceWindow | null> {
  try {
    return await onCallLookup.maintenanceWindow({ service: state.input.service, at: now });
  } catch (err) {
    record(state, now, 'error', `maintenance windows unreadable (${describeError(err)}): opening normally`, {
      announce: false,
    });
    return null;
  }
}

async function open(state: IncidentState, task: IncidentState['opening'][number], hooks: ShellHooks) {
  const now = Date.now();
  switch (task) {
    case 'security':
      return sendPage(state, -1, 'page', 'security incident: security team paged');
    case 'announce': {
      const first = state.paged.find((p) => p.level >= 0) ?? null;
      state.slackQueue.unshift({ kind: 'announce', text: openMessage(toView(state), first) });
      // The announcement says who was paged; the thread need not repeat what came before it.
      state.outbox.length = 0;
      return;
    }
    case 'ticket': {
      if (state.ticketOpened) return;
      state.ticketOpened = true;
      const result = state.policy!.ticketsEnabled
        ? await deliver(state, 'ticket', () =>
            adapters.createTicket({
              incidentId: state.incidentId,
              service: state.input.service,
              severity: state.input.severity,
              summary: state.input.summary,
            }),
          )
        : {
            delivered: false,
            detail: 'no ticket system configured; recorded here for the next business day',
          };
      record(state, now, 'ticket', `ticket for the next business day: ${result.detail}`);
      return;
    }
    case 'status-page':
      return state.timeline.some((e) => e.type === 'reopened')
        ? statusPage(state, 'investigating', `The issue has returned: ${state.input.summary}`)
        : statusPage(state, 'investigating', `We are investigating: ${state.input.summary}`);
    case 'management':
      return sendPage(state, -2, 'slack', `${state.input.severity} incident: management notified`);
    case 'runbook':
      return hooks.startRunbook();
  }
}

async function verifyResolve(state: IncidentState, now: number) {
  const { by, summary } = state.pendingResolve!;
  state.pendingResolve = null;
  if (state.status === 'monitoring' || state.status === 'resolved') return;
  const policy = state.policy!;
  state.status = 'monitoring';
  state.resolvedBy = by;
  state.resolutionSummary = summary;
  stopClocks(state);
  record(
    state,
    now,
    'monitoring',
    `resolve requested${summary ? `: ${summary}` : ''}; verifying health, then watching for ${formatElapsed(policy.stabilityWatchMs)}`,
    { actor: by },
  );
  const health = await local.checkServiceHealth({ urls: policy.service.healthUrls });
  const after = Date.now();
  record(state, after, 'health', `health verification: ${healthSummary(health)}`);
  if (!health.healthy) {
    state.pendingRelapse = 'health verification failed after resolve';
    return;
  }
  // Nothing to watch: close on the responder's word (alerts that fire again reopen or open anew).
  if (!policy.service.healthUrls.length) return beginClose(state, 'no health endpoints to watch', after);
  state.watch = {
    endsAt: after + policy.stabilityWatchMs,
    nextCheckAt: after + Math.min(policy.checkEveryMs, policy.stabilityWatchMs),
  };
  await statusPage(
    state,
    'monitoring',
    `A fix has been applied and we are monitoring: ${state.input.summary}`,
  );
}

async function stopRunbook(state: IncidentState, hooks: ShellHooks) {
  record(state, Date.now(), 'runbook', 'runbook stopped: the incident closed while it was still running');
  state.runbook!.running = false;
  state.pendingApprovals = [];
  await hooks.cancelRunbook().catch((err) =>
    record(state, Date.now(), 'error', `could not stop the runbook: ${describeError(err)}`, {
      announce: false,
    }),
  );
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
      return statusPage(state, 'resolved', `This incident has been resolved: ${state.input.summary}`);
    case 'review': {
      try {
        const view = toView(state);
        const review = await local.writeReview({
          incidentId: state.incidentId,
          directory: state.policy!.reviewDirectory,
          markdown: reviewMarkdown(view),
          responseTimes: {
            service: state.input.service,
            severity: state.input.severity,
            ackSeconds:
              state.acknowledgedAt === null ? null : (state.acknowledgedAt - state.createdAt) / 1000,
            resolveSeconds: state.resolvedAt === null ? null : (state.resolvedAt - state.createdAt) / 1000,
          },
          ...(state.journaled
            ? {
                journal: {
                  entries: state.journaled,
                  createdAt: view.createdAt,
                  insertAfter: journalInsertPoint(view),
                },
              }
            : {}),
        });
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
    }
    case 'reminder':
      if (!state.reviewScheduledBy && state.reviewPath) await hooks.startReviewReminder();
      return;
    case 'archive-channel': {
      const result = await deliver(state, 'archiving the incident channel', () =>
        chatLane().archiveIncidentChannel({ incidentId: state.incidentId, channel: state.thread!.channel }),
      );
      record(state, Date.now(), 'note', result.detail, { announce: false });
      return;
    }
  }
}

/** Sends one Slack item; the caller does not wait for it. Records the outcome in the state. */
export async function sendSlack(state: IncidentState, item: SlackItem): Promise<void> {
  const ids = { incidentId: state.incidentId, workflowId: state.workflowId };
  const chat = chatLane();
  try {
    if (item.kind === 'announce') {
      state.thread = await chat.announceIncident({
        ...ids,
        text: item.text,
        service: state.input.service,
        severity: state.input.severity,
        contactIds: [...new Set(state.paged.flatMap((p) => p.contactIds))],
      });
    } else if (item.kind === 'thread') {
      await chat.postThreadMessage({ incidentId: state.incidentId, thread: state.thread, text: item.text });
    } else if (item.kind === 'approval') {
      await chat.requestApproval({ ...ids, thread: state.thread, step: item.step, text: item.text });
    } else {
      const result = await chat.pageContacts({
        ...ids,
        service: state.input.service,
        severity: state.input.severity,
        summary: state.input.summary,
        levelName: item.levelName,
        contactIds: item.contactIds,
        channel: 'slack',
        reason: item.reason,
        thread: state.thread,
      });
      const page = state.paged.find((p) => p.seq === item.pageSeq);
      if (page) page.delivered = result.delivered;
      const names = page?.contacts.join(', ') ?? item.levelName;
      record(
        state,
        Date.now(),
        'notified',
        `notified via Slack ${item.levelName} (${names}): ${item.reason} — ${result.detail}`,
      );
      if (!result.delivered) pageInstead(state, item, result.detail);
    }
  } catch (err) {
    record(state, Date.now(), 'error', `Slack ${item.kind} failed: ${describeError(err)}`, {
      announce: false,
    });
    if (item.kind === 'notice') pageInstead(state, item, describeError(err));
  }
}
