/**
 * `incident review-scheduled <id> [--when <time>]`: the post-incident review meeting is confirmed (engine
 * revision 8), or moved to `--when` (an ISO time: everyone invited gets the new time). It stops the
 * reminders. The review's workflow outlives the incident, so this works on a resolved one.
 */
import type { Connection } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { reviewScheduledSignal, statusQuery } from '../domain/messages';
import { terminalText } from '../domain/text';
import { reviewWorkflowId, workflowIdOfIncident } from '../domain/incident-id';
import { UsageError } from './args';
import { EXIT } from './exit-codes';
import { clientOf } from './support';

/** `--when`: an ISO time, checked before anything is sent. */
export function meetingTime(when: string | undefined): string | undefined {
  if (when === undefined) return undefined;
  const at = Date.parse(when);
  if (!Number.isFinite(at)) throw new UsageError('--when: expected a time such as 2026-12-08T10:00Z');
  return new Date(at).toISOString();
}

export async function reviewScheduled(
  connection: Connection,
  id: string,
  by: string,
  when: string | undefined,
  within: <T>(fn: () => Promise<T>) => Promise<T>,
  out: (s: string) => void,
  err: (s: string) => void,
): Promise<number> {
  const client = clientOf(connection);
  try {
    // The incident's id and how often it reopened name its latest review workflow (`<id>-review[-n]`).
    const view = await within(() => client.workflow.getHandle(workflowIdOfIncident(id)).query(statusQuery));
    const reopened = view.timeline.filter((e) => e.type === 'reopened').length;
    const review = client.workflow.getHandle(reviewWorkflowId(view.incidentId, reopened));
    const described = await within(() => review.describe());
    if (described.status.name !== 'RUNNING') {
      err(
        `the review of ${view.incidentId} is not waiting (${described.status.name.toLowerCase()}); nothing to do`,
      );
      return EXIT.refused;
    }
    await within(() => review.signal(reviewScheduledSignal, { by, ...(when && { when }) }));
    out(
      terminalText(
        `${view.incidentId}: review ${when ? `moved to ${when}` : 'confirmed'}; no more reminders`,
      ),
    );
    return EXIT.ok;
  } catch (e) {
    if (!(e instanceof WorkflowNotFoundError)) throw e;
    err(`no review waiting for ${id} (is the incident resolved?)`);
    return EXIT.notFound;
  }
}
