/**
 * The incident workflow type. Runs started before the state machine carry no `incident-state-machine`
 * marker and replay on the frozen code they started with; every new run (and every continue-as-new) takes
 * the state machine. See README, "Changing workflows while incidents are open".
 */
import { patched } from '@temporalio/workflow';
import type { IncidentInput } from '../types';
import { legacyIncidentWorkflow } from './legacy-v1';
import { runIncident, type IncidentOutcome } from './workflow';

export const STATE_MACHINE_PATCH = 'incident-state-machine';
export type { IncidentOutcome };

export async function incidentWorkflow(input: IncidentInput): Promise<IncidentOutcome> {
  if (!patched(STATE_MACHINE_PATCH)) return legacyIncidentWorkflow(input);
  return runIncident(input);
}
