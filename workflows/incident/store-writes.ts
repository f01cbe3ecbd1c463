/**
 * Revisions 4 and 5: the store's calls, by the lane or where the workflow task runs, and what their answers
 * change (`store-lane.ts`). Like the rest of the loop's effects, a failure is recorded, never thrown: a
 * store that does not answer costs the record, not the incident.
 */
import type { RecordIncidentArgs } from '../../activities/contract';
import * as effects from './effects';
import { describeError } from './effects';
import { record, type IncidentState } from './state';
import { storeHereFailed, storeWriteFailed, storeWritten, writesHere } from './store-lane';

const quietly = { announce: false } as const;

/**
 * Revision 5: the review where the workflow task runs, when this worker holds the store (it then costs no
 * dispatch and no workflow task of its own); null when it cannot be made there.
 */
async function storedReviewHere(state: IncidentState) {
  if (!writesHere(state, Date.now())) return null;
  const review = await effects.writeStoredReviewHere(state).catch(() => null);
  if (!review) storeHereFailed(state, Date.now());
  return review;
}

/**
 * Revision 4: the review from the store (revision 5: made where the workflow task runs, else by the lane);
 * null when it cannot be (the workflow's own timeline writes it).
 */
export async function storedReview(state: IncidentState) {
  try {
    const review = (await storedReviewHere(state)) ?? (await effects.writeStoredReview(state));
    if (review.missing)
      record(
        state,
        Date.now(),
        'note',
        `review: ${review.missing} timeline entries were never stored`,
        quietly,
      );
    return review;
  } catch (err) {
    record(
      state,
      Date.now(),
      'error',
      `the review from the system of record could not be written: ${describeError(err)}`,
      quietly,
    );
    return null;
  }
}

/** Revision 4: one write of the store's lane, run beside the loop (never awaited by it). */
export async function writeStore(state: IncidentState, write: RecordIncidentArgs): Promise<void> {
  try {
    await effects.recordIncident(write);
    storeWritten(state);
  } catch (err) {
    const why = storeWriteFailed(state, write);
    if (why) record(state, Date.now(), 'error', `${why}: ${describeError(err)}`, quietly);
  }
}

/**
 * Revision 5: one write where the loop runs, awaited (it is short, and the loop had nothing else to do).
 * False when the worker holds no store or the write failed there: the caller hands it to the lane, which
 * retries it. Nothing is recorded: a worker without the store (`npm start`) is no fault.
 */
export async function wroteHere(state: IncidentState, write: RecordIncidentArgs): Promise<boolean> {
  const written = await effects.recordIncidentHere(write).catch(() => null);
  if (written) storeWritten(state);
  else storeHereFailed(state, Date.now());
  return !!written;
}
