/**
 * The incident's activity calls and their options, and nothing else: each function builds one request from
 * the state (read, never changed) and returns the activity's answer or throws its failure. What an answer
 * changes is `run-effect.ts`'s business, by way of the transitions.
 */
import { proxyActivities, proxyLocalActivities, workflowInfo } from '@temporalio/workflow';
import type {
  AppendTimelineArgs,
  IncidentActivities,
  PagingUpdateArgs,
  RecordActivities,
  RecordHereActivities,
  RecordIncidentArgs,
} from '../../activities/contract';
import { journalInsertPoint, reviewMarkdown } from '../../domain/render';
import { chatTaskQueue, recordTaskQueue } from '../../domain/task-queues';
import type { PageRecord, ResponderTarget } from '../../domain/types';
import { hasPatch, PAGES_FIRST, POLICY_LOCAL_ACTIVITY } from './patches';
import { type FollowUp, type IncidentState, type SlackItem } from './state';
import { revisionAtLeast } from './transitions';
import { RULES_REVISION } from '../../domain/notification-rules';
import { toView } from './view';

const BACKOFF = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' } as const;
// A page is the product: retried for a while, then recorded as undelivered so the ladder goes on. Its
// activities heartbeat every second, so one lost with a stopping worker is retried within 5 s, not 30 s.
// (Timeouts are options of the command, not compared on replay: old histories replay unchanged.)
const pager = proxyActivities<IncidentActivities>({
  startToCloseTimeout: '30s',
  heartbeatTimeout: '5s',
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
// Revision 4: the system of record's lane, polled by whoever holds the store. With nobody polling it (the
// store's holder is down) a write fails within a minute rather than waiting; a store that does not answer
// is retried for ten minutes. Either way the lane drops the write, and the incident goes on.
const recordLane = () =>
  proxyActivities<RecordActivities>({
    taskQueue: recordTaskQueue(workflowInfo().taskQueue),
    scheduleToStartTimeout: '1m',
    startToCloseTimeout: '30s',
    scheduleToCloseTimeout: '10m',
    retry: { ...BACKOFF, maximumInterval: '1m' },
  });
// Revision 5: the same write where the incident's workflow task runs, when the loop has nothing else to do,
// and the review. That task is not completed while one is pending, so they are short and tried once: the
// lane takes what fails here.
const here = proxyLocalActivities<RecordHereActivities>({
  startToCloseTimeout: '2s',
  retry: { maximumAttempts: 1 },
});
const reviewHere = proxyLocalActivities<RecordHereActivities>({
  startToCloseTimeout: '5s',
  retry: { maximumAttempts: 1 },
});
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

/** An activity failure in one line: the cause's message (the activity's own error), else the failure's. */
export function describeError(err: unknown): string {
  const cause = (err as { cause?: { message?: string } }).cause;
  return cause?.message ?? (err as Error).message ?? String(err);
}

export const readPolicy = (service: string, scenario: string) =>
  (hasPatch(POLICY_LOCAL_ACTIVITY) ? lookup : local).loadIncidentPolicy({ service, scenario });

/** Revision 7: a lookup in the worker's configuration, as the policy's is (a local activity). */
export const responderPlan = (state: IncidentState, target: ResponderTarget) =>
  lookup.loadResponderPlan({ target, severity: state.input.severity });

/** Revision 7: a team's escalation policy, to reassign an incident to (a lookup, as the policy's is). */
export const teamPolicy = (team: string) => lookup.loadTeamPolicy({ team });

export const scheduleOverrides = (schedule: string) => onCallLookup.onCallOverrides({ schedule });

export const maintenanceWindow = (service: string, at: number) =>
  onCallLookup.maintenanceWindow({ service, at });

/** Pages the page's contacts through PagerDuty (or the configured pager), under the page's dedup key. */
export const pageContacts = (state: IncidentState, page: PageRecord) =>
  pager.pageContacts({
    incidentId: state.incidentId,
    workflowId: state.workflowId,
    service: state.input.service,
    severity: state.input.severity,
    summary: state.input.summary,
    levelName: page.levelName,
    contactIds: page.contactIds,
    channel: page.channel,
    reason: page.reason,
    thread: state.thread,
    dedupKey: page.dedupKey,
    ...(revisionAtLeast(state, RULES_REVISION) ? { byRules: true } : {}),
  });

/** Revision 9: one person's follow-up, by the channel their rule names. */
export const followUpContact = (state: IncidentState, f: FollowUp) =>
  pager.followUpContact({
    incidentId: state.incidentId,
    workflowId: state.workflowId,
    service: state.input.service,
    severity: state.input.severity,
    summary: state.input.summary,
    levelName: f.levelName,
    reason: f.reason,
    thread: state.thread,
    contactId: f.contactId,
    channel: f.channel,
    rule: f.rule,
    ...(f.dedupKey ? { dedupKey: f.dedupKey } : {}),
  });

export const pagingUpdate = (
  state: IncidentState,
  action: 'acknowledge' | 'resolve',
  alerts: NonNullable<PagingUpdateArgs['alerts']>,
) =>
  pager.sendPagingUpdate({
    incidentId: state.incidentId,
    action,
    contactIds: [...new Set(alerts.map((a) => a.contactId))],
    alerts,
  });

export const updateStatusPage = (
  state: IncidentState,
  phase: 'investigating' | 'monitoring' | 'resolved',
  message: string,
) =>
  adapters.updateStatusPage({
    incidentId: state.incidentId,
    service: state.input.service,
    state: phase,
    message,
  });

export const createTicket = (state: IncidentState) =>
  adapters.createTicket({
    incidentId: state.incidentId,
    service: state.input.service,
    severity: state.input.severity,
    summary: state.input.summary,
  });

/** Who asked Temporal to cancel this run, from its history (the run itself is never told). */
export const cancellationRequest = (state: IncidentState) =>
  local.cancellationRequest({ workflowId: state.workflowId, runId: workflowInfo().runId });

export const checkHealth = (state: IncidentState) =>
  local.checkServiceHealth({ urls: state.policy!.service.healthUrls });

export const appendTimeline = (
  state: IncidentState,
  firstSeq: number,
  entries: AppendTimelineArgs['entries'],
) =>
  local.appendTimeline({
    incidentId: state.incidentId,
    directory: state.policy!.reviewDirectory,
    firstSeq,
    entries,
  });

const responseTimes = (state: IncidentState) => ({
  service: state.input.service,
  severity: state.input.severity,
  ackSeconds: state.acknowledgedAt === null ? null : (state.acknowledgedAt - state.createdAt) / 1000,
  resolveSeconds: state.resolvedAt === null ? null : (state.resolvedAt - state.createdAt) / 1000,
});

export const recordIncident = (write: RecordIncidentArgs) => recordLane().recordIncident(write);

export const recordIncidentHere = (write: RecordIncidentArgs) => here.recordIncidentHere(write);

const storedReviewArgs = (state: IncidentState) => ({
  view: toView(state),
  directory: state.policy!.reviewDirectory,
  responseTimes: responseTimes(state),
});

/** Revision 4: the review, built by the store's holder from every entry stored. */
export const writeStoredReview = (state: IncidentState) =>
  recordLane().writeStoredReview(storedReviewArgs(state));

/** Revision 5: the same, where the workflow task runs; null from a worker that holds no store. */
export const writeStoredReviewHere = (state: IncidentState) =>
  reviewHere.writeStoredReviewHere(storedReviewArgs(state));

/** Writes the post-incident review (and its response times; the journal spliced in where it was kept). */
export function writeReview(state: IncidentState) {
  const view = toView(state);
  return local.writeReview({
    incidentId: state.incidentId,
    directory: state.policy!.reviewDirectory,
    markdown: reviewMarkdown(view),
    responseTimes: responseTimes(state),
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
}

export const archiveChannel = (state: IncidentState) =>
  chatLane().archiveIncidentChannel({ incidentId: state.incidentId, channel: state.thread!.channel });

/** The Slack lane's calls, by item: the announcement answers with the thread, a notice with its delivery. */
export function slackCall(state: IncidentState, item: SlackItem) {
  const ids = { incidentId: state.incidentId, workflowId: state.workflowId };
  const chat = chatLane();
  switch (item.kind) {
    case 'announce':
      return chat
        .announceIncident({
          ...ids,
          text: item.text,
          service: state.input.service,
          severity: state.input.severity,
          contactIds: [...new Set(state.paged.flatMap((p) => p.contactIds))],
        })
        .then((thread) => ({ kind: 'announced' as const, thread }));
    case 'thread':
      return chat
        .postThreadMessage({ incidentId: state.incidentId, thread: state.thread, text: item.text })
        .then(() => ({ kind: 'posted' as const }));
    case 'approval':
      return chat
        .requestApproval({
          ...ids,
          thread: state.thread,
          step: item.step,
          text: item.text,
          ...(item.proposal ? { proposal: item.proposal } : {}),
        })
        .then(() => ({ kind: 'posted' as const }));
    case 'notice':
      return chat
        .pageContacts({
          ...ids,
          service: state.input.service,
          severity: state.input.severity,
          summary: state.input.summary,
          levelName: item.levelName,
          contactIds: item.contactIds,
          channel: 'slack',
          reason: item.reason,
          thread: state.thread,
        })
        .then((result) => ({ kind: 'notified' as const, result }));
  }
}
