/**
 * What the incident cannot see from inside its own run: who asked Temporal to cancel it. The request's
 * identity and reason are in the history event, which the worker's own client reads back.
 */
import { Context } from '@temporalio/activity';

export interface CancellationRequest {
  /** The requester's identity as Temporal recorded it (the UI's user, the CLI's `user@host`). */
  identity: string;
  reason: string;
}

/** The latest cancellation request of the run, read from the newest events of its history. */
export async function cancellationRequest(args: {
  workflowId: string;
  runId: string;
}): Promise<CancellationRequest | null> {
  const { client, info } = Context.current();
  const history = await client.workflowService.getWorkflowExecutionHistoryReverse({
    namespace: info.workflowNamespace,
    execution: { workflowId: args.workflowId, runId: args.runId },
    maximumPageSize: 100,
  });
  for (const event of history.history?.events ?? []) {
    const asked = event.workflowExecutionCancelRequestedEventAttributes;
    if (asked) return { identity: asked.identity || 'unknown', reason: asked.cause || '' };
  }
  return null;
}
