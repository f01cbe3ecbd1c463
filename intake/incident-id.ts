import { createHash } from 'node:crypto';

/** Workflow id for a dedup key: stable, short, safe in URLs and file names. */
export function incidentWorkflowId(dedupKey: string): string {
  return `incident-${createHash('sha256').update(dedupKey, 'utf8').digest('hex').slice(0, 20)}`;
}

/**
 * The workflow id of an incident id (`<workflow id>-<run's first 8 hex digits>`, as `incident list` shows it);
 * anything else is taken to be a workflow id already.
 */
export function workflowIdOfIncident(id: string): string {
  const match = /^(incident-[0-9a-f]{20})-[0-9a-f]{8}$/.exec(id);
  return match ? match[1] : id;
}
