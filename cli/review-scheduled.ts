/**
 * `incident review-scheduled <id> [--when <time>]`: the post-incident review meeting is confirmed (engine
 * revision 8), or moved to `--when` (an ISO time: everyone invited gets the new time). It stops the
 * reminders. The review's workflow outlives the incident, so this works on a resolved one.
 */
import type { Connection } from '@temporalio/client';
import { terminalText } from '../domain/text';
import { workflowIdOfIncident } from '../domain/incident-id';
import { confirmReview, latestReview } from '../intake/review-meeting';
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
  const review = await latestReview(clientOf(connection), workflowIdOfIncident(id), within);
  if (!review) {
    err(`no review waiting for ${id} (is the incident resolved?)`);
    return EXIT.notFound;
  }
  const answer = await confirmReview(review, by, when, within);
  if ('refused' in answer) {
    err(answer.refused);
    return EXIT.refused;
  }
  out(terminalText(answer.done));
  return EXIT.ok;
}
