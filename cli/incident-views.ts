/**
 * The incidents Temporal still holds, as their workflows show them: one view per incident (the run that holds
 * it now; earlier runs continued as new into it), read by its own query, which a worker on its task queue
 * answers. `incident report` summarises them; `store backfill` writes them into the store.
 */
import type { Client, Connection } from '@temporalio/client';
import { statusQuery } from '../domain/messages';
import type { IncidentStatusView } from '../domain/types';
import { TASK_QUEUE } from '../intake/open-incident';
import { parseDuration } from '../config/duration';
import { flag, UsageError, type Parsed } from './args';

/** How long one incident's query may take before it is counted unreadable. */
const QUERY_TIMEOUT_MS = 10_000;

export interface IncidentViews {
  views: IncidentStatusView[];
  /** Workflow ids whose query did not answer (no worker, or a stuck one). */
  unreadable: string[];
}

/** Every incident started at or after `fromIso` on the product's task queue, open or closed. */
export async function incidentViewsSince(
  client: Client,
  connection: Connection,
  fromIso: string,
  taskQueue = TASK_QUEUE,
): Promise<IncidentViews> {
  const views: IncidentStatusView[] = [];
  const unreadable: string[] = [];
  for await (const wf of client.workflow.list({
    query: `WorkflowType = 'incidentWorkflow' AND TaskQueue = '${taskQueue}' AND StartTime >= '${fromIso}' AND ExecutionStatus != 'ContinuedAsNew'`,
  })) {
    try {
      const handle = client.workflow.getHandle(wf.workflowId, wf.runId);
      views.push(
        await connection.withDeadline(Date.now() + QUERY_TIMEOUT_MS, () => handle.query(statusQuery)),
      );
    } catch {
      unreadable.push(wf.workflowId);
    }
  }
  return { views, unreadable };
}

/** What to say about incidents that could not be read, or nothing. */
export function unreadableNotice({ unreadable }: IncidentViews): string | undefined {
  if (!unreadable.length) return undefined;
  return `${unreadable.length} could not be read (is a worker running?): ${unreadable.slice(0, 5).join(', ')}`;
}

/** `--since 30d` (default 30 days) as the instant it names; a malformed one is a UsageError. */
export function sinceFlag(args: Parsed): string {
  const text = flag(args, 'since') ?? '30d';
  const ms = parseDuration(text);
  if (ms === undefined)
    throw new UsageError(`--since: a duration like 30d or 12h, not ${JSON.stringify(text)}`);
  return new Date(Date.now() - ms).toISOString();
}
