/**
 * The incident workflow type. Runs started before the state machine carry no `incident-state-machine`
 * marker and replay on the frozen code they started with; every new run (and every continue-as-new) takes
 * the state machine. See docs/development.md, "Changing workflows while incidents are open".
 */
import type { IncidentInput } from '../../domain/types';
import { legacyIncidentWorkflow } from '../legacy/incident-v1';
import { hasPatch, STATE_MACHINE_PATCH } from './patches';
import { runIncident, type IncidentOutcome } from './workflow';

export type { IncidentOutcome };

export async function incidentWorkflow(input: IncidentInput): Promise<IncidentOutcome> {
  if (!hasPatch(STATE_MACHINE_PATCH)) return legacyIncidentWorkflow(input);
  return runIncident(input);
}
