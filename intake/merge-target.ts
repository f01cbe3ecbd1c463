/** A merge's other incident (CLI, Slack): it must be open, and is named by its incident id in both timelines. */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { statusQuery } from '../domain/messages';
import { workflowIdOfIncident } from '../domain/incident-id';

/** An open incident's ids, or why it cannot be merged into (exit 1). */
export async function openIncidentId(
  client: Client,
  id: string,
  within: <T>(fn: () => Promise<T>) => Promise<T>,
): Promise<{ incidentId: string; workflowId: string } | { refused: string }> {
  const into = client.workflow.getHandle(workflowIdOfIncident(id));
  try {
    const description = await within(() => into.describe());
    const view = await within(() => into.query(statusQuery));
    if (description.status.name !== 'RUNNING' || ['resolved', 'cancelled'].includes(view.status))
      return { refused: `${view.incidentId} is ${view.status}: merge into an open incident` };
    return { incidentId: view.incidentId, workflowId: description.workflowId };
  } catch (e) {
    if (e instanceof WorkflowNotFoundError) return { refused: `no incident ${id} to merge into` };
    throw e;
  }
}
