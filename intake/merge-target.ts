/**
 * A merge's other incident (CLI, Slack, the API): it must be open, and is named by its incident id in both
 * timelines. `closed` tells a closed incident (the API's 409) from one that does not exist (422).
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { statusQuery } from '../domain/messages';
import { workflowIdOfIncident } from '../domain/incident-id';

/** An open incident's ids, or why it cannot be merged into (exit 1). */
export async function openIncidentId(
  client: Client,
  id: string,
  within: <T>(fn: () => Promise<T>) => Promise<T>,
  workflowId = workflowIdOfIncident(id),
): Promise<{ incidentId: string; workflowId: string } | { refused: string; closed: boolean }> {
  const into = client.workflow.getHandle(workflowId);
  try {
    const description = await within(() => into.describe());
    const view = await within(() => into.query(statusQuery));
    if (description.status.name !== 'RUNNING' || ['resolved', 'cancelled'].includes(view.status))
      return { refused: `${view.incidentId} is ${view.status}: merge into an open incident`, closed: true };
    return { incidentId: view.incidentId, workflowId: description.workflowId };
  } catch (e) {
    if (e instanceof WorkflowNotFoundError)
      return { refused: `no incident ${id.slice(0, 100)} to merge into`, closed: false };
    throw e;
  }
}
