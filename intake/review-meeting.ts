/**
 * An incident's post-incident review workflow, for the CLI and the API: which one is the latest (one per
 * close; a reopened incident's next close has its own), what it holds of the meeting (engine revision 8), and
 * confirming or moving it with the `reviewScheduled` Signal.
 */
import { WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import {
  reviewMeetingQuery,
  reviewScheduledSignal,
  statusQuery,
  type ReviewMeetingView,
} from '../domain/messages';
import { reviewWorkflowId } from '../domain/incident-id';

type Within = <T>(fn: () => Promise<T>) => Promise<T>;

export interface LatestReview {
  incidentId: string;
  /** The incident's service: who may confirm its review is who may act on it. */
  service: string;
  handle: WorkflowHandle;
  /** Its workflow's status, lower case: `running` while it waits for a confirmation (it ends confirmed, or after its last reminder). */
  status: string;
  /** Null from a worker older than the query (a rolling deploy): the review is there, its meeting unknown. */
  view: ReviewMeetingView | null;
}

/** The incident's latest review, or null when the incident has none (not resolved yet, or no such incident). */
export async function latestReview(
  client: Client,
  incidentWorkflowId: string,
  within: Within,
): Promise<LatestReview | null> {
  try {
    const incident = await within(() => client.workflow.getHandle(incidentWorkflowId).query(statusQuery));
    const reopened = incident.timeline.filter((e) => e.type === 'reopened').length;
    const handle = client.workflow.getHandle(reviewWorkflowId(incident.incidentId, reopened));
    const described = await within(() => handle.describe());
    const view = await within(() => handle.query(reviewMeetingQuery)).catch((err: unknown) => {
      if (err instanceof WorkflowNotFoundError) throw err;
      return null;
    });
    return {
      incidentId: incident.incidentId,
      service: incident.service,
      handle,
      status: described.status.name.toLowerCase(),
      view,
    };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    throw err;
  }
}

/** Confirms the review (a `when` moves the meeting: everyone invited hears of it); why not, when it does not wait. */
export async function confirmReview(
  review: LatestReview,
  by: string,
  when: string | undefined,
  within: Within,
): Promise<{ done: string } | { refused: string }> {
  if (review.status !== 'running')
    return { refused: `the review of ${review.incidentId} is not waiting (${review.status}); nothing to do` };
  await within(() => review.handle.signal(reviewScheduledSignal, { by, ...(when && { when }) }));
  return {
    done: `${review.incidentId}: review ${when ? `moved to ${when}` : 'confirmed'}; no more reminders`,
  };
}
