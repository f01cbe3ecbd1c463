/**
 * An incident's id: its workflow id (one per alert group) and the first 8 hex digits of the run that opened
 * it, kept across continue-as-new. A later incident of the same alert group is a new run, so a new id:
 * buttons, PagerDuty keys and the store name the incident, not the group.
 */
export function incidentIdOf(workflowId: string, openingRunId: string): string {
  return `${workflowId}-${openingRunId.slice(0, 8)}`;
}

/** The workflow id of an incident's review reminder (and meeting): one per close, a reopened one's numbered. */
export function reviewWorkflowId(incidentId: string, reopened: number): string {
  return reopened ? `${incidentId}-review-${reopened + 1}` : `${incidentId}-review`;
}

/**
 * The workflow id of an incident id (`<workflow id>-<run's first 8 hex digits>`, as `incident list` shows it);
 * anything else is taken to be a workflow id already.
 */
export function workflowIdOfIncident(id: string): string {
  const match = /^(incident-[0-9a-f]{20})-[0-9a-f]{8}$/.exec(id);
  return match ? match[1] : id;
}
