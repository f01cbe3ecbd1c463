/** What a simulation reads from the histories it recorded. */
import type { Client, WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { localActivityType, protoMs } from '../../scripts/testbed/history';

export type HistoryEvents = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>;

/** Page attempts lost and retried, by whether the scheduling code gave the attempt a heartbeat timeout. */
export function lostPageAttempts(events: HistoryEvents): { withHeartbeat: number; without: number } {
  const pages = new Map<string, boolean>(); // scheduled event id → has a heartbeat timeout
  for (const e of events) {
    const a = e.activityTaskScheduledEventAttributes;
    if (a?.activityType?.name === 'pageContacts')
      pages.set(
        String(e.eventId),
        Number(a.heartbeatTimeout?.seconds ?? 0) + (a.heartbeatTimeout?.nanos ?? 0) > 0,
      );
  }
  const lost = { withHeartbeat: 0, without: 0 };
  for (const e of events) {
    const started = e.activityTaskStartedEventAttributes;
    const heartbeat = pages.get(String(started?.scheduledEventId));
    if (started && heartbeat !== undefined && (started.attempt ?? 1) > 1)
      lost[heartbeat ? 'withHeartbeat' : 'without'] += (started.attempt ?? 1) - 1;
  }
  return lost;
}

/**
 * Workflow tasks that failed, but for two that are no fault: the one a terminate fails while it is in flight
 * (FORCE_CLOSE_COMMAND, the test's doing), and a completion the server refuses because a Signal arrived
 * meanwhile (UNHANDLED_COMMAND: Temporal's own mechanism; the task is retried at once with the Signal).
 */
export function failedTasks(events: HistoryEvents) {
  const causes = temporal.api.enums.v1.WorkflowTaskFailedCause;
  const benign = [
    causes.WORKFLOW_TASK_FAILED_CAUSE_FORCE_CLOSE_COMMAND,
    causes.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND,
  ];
  return events
    .map((e) => e.workflowTaskFailedEventAttributes)
    .filter((f): f is NonNullable<typeof f> => !!f && !benign.includes(f.cause!));
}

/** Workflow tasks that timed out: a task that spun past its timeout, or a worker that died holding it. */
export function timedOutTasks(events: HistoryEvents) {
  const timedOut = temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT;
  return events.filter((e) => e.eventType === timedOut);
}

/**
 * How long the workflow waited on tasks that timed out: for each, from its scheduling to its time-out (a worker
 * that stopped holding it, or a sticky queue nobody polls any more). Worker changes cause these waits, and the
 * history records each one, so a simulation can allow what they explain and no more.
 */
export function timedOutTaskWaitMs(events: HistoryEvents): number {
  const at = new Map<string, number>(); // event id → its time
  for (const e of events) at.set(String(e.eventId), protoMs(e.eventTime));
  let waited = 0;
  for (const e of timedOutTasks(events)) {
    const scheduled = at.get(String(e.workflowTaskTimedOutEventAttributes?.scheduledEventId));
    if (scheduled !== undefined) waited += protoMs(e.eventTime) - scheduled;
  }
  return waited;
}

/** The events of every run of a workflow, from its first through each continue-as-new. */
export async function allRunsEvents(client: Client, workflowId: string, firstRunId: string) {
  const runs: HistoryEvents[] = [];
  for (let runId: string | null | undefined = firstRunId; runId;) {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    const events: HistoryEvents = history.events ?? [];
    runs.push(events);
    runId = events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
  }
  return runs;
}

/** How many activity attempts each worker (by its identity) started. */
export function activityWorkers(events: HistoryEvents): Map<string, number> {
  const by = new Map<string, number>();
  for (const e of events) {
    const identity = e.activityTaskStartedEventAttributes?.identity;
    if (identity) by.set(identity, (by.get(identity) ?? 0) + 1);
  }
  return by;
}

/** Activities of a type: scheduled on a task queue, and run as local activities (their markers). */
export function activityCounts(events: HistoryEvents, type: string): { scheduled: number; local: number } {
  let scheduled = 0;
  let local = 0;
  for (const e of events) {
    if (e.activityTaskScheduledEventAttributes?.activityType?.name === type) scheduled += 1;
    if (localActivityType(e) === type) local += 1;
  }
  return { scheduled, local };
}
