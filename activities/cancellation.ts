import { Context } from '@temporalio/activity';

/**
 * The running activity's cancellation: aborted when the worker shuts down past its grace time, when a
 * heartbeat timeout or the workflow cancels it. HTTP calls pass it on so a cancelled activity stops
 * talking to the outside world at once instead of finishing behind Temporal's back. Undefined outside an
 * activity (scripts call the same functions).
 */
export function activityAbortSignal(): AbortSignal | undefined {
  try {
    return Context.current().cancellationSignal;
  } catch {
    return undefined;
  }
}
