import { createHash } from 'node:crypto';

/** Workflow id for a dedup key: stable, short, safe in URLs and file names. */
export function incidentWorkflowId(dedupKey: string): string {
  return `incident-${createHash('sha256').update(dedupKey, 'utf8').digest('hex').slice(0, 20)}`;
}

export { workflowIdOfIncident } from '../domain/incident-id';
