/**
 * Reading a workflow's history in tests, so a test waits on what the server recorded (a timer fired, an
 * activity completed, the workflow went idle) instead of on wall-clock time.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { eventually } from './eventually';

export const EventType = temporal.api.enums.v1.EventType;
export type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

export async function historyEvents(handle: WorkflowHandle): Promise<HistoryEvent[]> {
  return (await handle.fetchHistory()).events ?? [];
}

/** Waits until the history holds an event matching `match`, and answers every event up to then. */
export async function waitForEvent(
  handle: WorkflowHandle,
  match: (e: HistoryEvent, all: HistoryEvent[]) => boolean,
  timeoutMs = 30_000,
): Promise<HistoryEvent[]> {
  return eventually(async () => {
    const events = await historyEvents(handle);
    if (!events.some((e) => match(e, events))) throw new Error('the awaited history event is not there yet');
    return events;
  }, timeoutMs);
}

/** Ids of timers that were started and have neither fired nor been cancelled. */
export function openTimers(events: readonly HistoryEvent[]): string[] {
  const open = new Set<string>();
  for (const e of events) {
    const started = e.timerStartedEventAttributes?.timerId;
    if (started) open.add(started);
    const closed = e.timerFiredEventAttributes?.timerId ?? e.timerCanceledEventAttributes?.timerId;
    if (closed) open.delete(closed);
  }
  return [...open];
}

/** Names of the activities scheduled in this history, in order (attempts of one are one entry). */
export function scheduledActivities(events: readonly HistoryEvent[]): string[] {
  return events
    .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)
    .filter((name): name is string => typeof name === 'string');
}

// Commands a completed workflow task may leave behind that need no further work from anyone.
const SETTLED_COMMANDS = new Set([
  EventType.EVENT_TYPE_TIMER_STARTED,
  EventType.EVENT_TYPE_TIMER_CANCELED,
  EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
  EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED,
  EventType.EVENT_TYPE_MARKER_RECORDED,
]);

/**
 * Waits until the workflow has nothing in flight: its last workflow task completed, nothing but timers
 * and attribute changes followed, and no activity is pending. From then on only a timer still open (or a
 * new message) can make it act.
 */
export async function waitUntilIdle(handle: WorkflowHandle, timeoutMs = 30_000): Promise<HistoryEvent[]> {
  return eventually(async () => {
    const [events, description] = await Promise.all([historyEvents(handle), handle.describe()]);
    let completed = events.length - 1;
    while (completed >= 0 && events[completed].eventType !== EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
      completed -= 1;
    const after = events.slice(completed + 1).filter((e) => !SETTLED_COMMANDS.has(e.eventType!));
    if (completed < 0 || after.length)
      throw new Error(`workflow is busy (${after.map((e) => EventType[e.eventType ?? 0]).join(', ')})`);
    const pending = description.raw.pendingActivities ?? [];
    if (pending.length) throw new Error(`${pending.length} activities still pending`);
    // Re-read: an event may have arrived between the two calls.
    const again = await historyEvents(handle);
    if (again.length !== events.length) throw new Error('history moved while checking');
    return again;
  }, timeoutMs);
}

/** A protobuf timestamp or duration in ms (0 when absent). */
export function protoMs(t: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  return Number(t?.seconds ?? 0) * 1000 + Math.floor((t?.nanos ?? 0) / 1e6);
}

/** When each open timer will fire (its start event's time plus its duration), in ms. */
export function openTimerDeadlines(events: readonly HistoryEvent[]): number[] {
  const open = new Set(openTimers(events));
  return events
    .filter((e) => e.timerStartedEventAttributes && open.has(e.timerStartedEventAttributes.timerId ?? ''))
    .map((e) => protoMs(e.eventTime) + protoMs(e.timerStartedEventAttributes!.startToFireTimeout));
}

/** The activity type a local activity's marker records (SDK Core's `core_local_activity`), or null. */
export function localActivityType(e: HistoryEvent): string | null {
  const marker = e.markerRecordedEventAttributes;
  const data =
    marker?.markerName === 'core_local_activity' ? marker.details?.data?.payloads?.[0]?.data : null;
  return data
    ? (JSON.parse(Buffer.from(data).toString('utf8')) as { activity_type: string }).activity_type
    : null;
}

/** The scheduling events of the activity named `name`, in order. */
export function scheduledEvents(events: readonly HistoryEvent[], name: string): HistoryEvent[] {
  return events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === name);
}

/** The completion events of the activity named `name`, in order. */
export function completedActivities(events: readonly HistoryEvent[], name: string): HistoryEvent[] {
  const scheduled = new Set(scheduledEvents(events, name).map((e) => String(e.eventId)));
  return events.filter(
    (e) =>
      e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED &&
      scheduled.has(String(e.activityTaskCompletedEventAttributes?.scheduledEventId)),
  );
}
