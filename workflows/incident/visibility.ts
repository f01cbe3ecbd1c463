/**
 * What the Temporal UI shows of an incident: search attributes (a command each, so only on change) and
 * the current details (free, rewritten each pass from a few fields, not the whole status view).
 */
import { setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import { incidentLabel } from '../render';
import {
  IncidentScenarioKey,
  IncidentServiceKey,
  IncidentSeverityKey,
  IncidentStatusKey,
} from '../search-attributes';
import { iso, type IncidentState } from './state';

/** Answers the key of what the search attributes now say; pass it back on the next call. */
export function syncVisibility(state: IncidentState, last: string): string {
  const key = `${state.status}|${state.input.severity}`;
  if (key !== last)
    upsertSearchAttributes([
      { key: IncidentSeverityKey, value: state.input.severity },
      { key: IncidentServiceKey, value: state.input.service },
      { key: IncidentScenarioKey, value: state.input.scenario },
      { key: IncidentStatusKey, value: state.status },
    ]);
  const lastPage = state.paged[state.paged.length - 1];
  const nextEscalation = state.status === 'triggered' ? iso(state.nextEscalationAt) : null;
  setCurrentDetails(
    [
      `**${incidentLabel({ incidentId: state.incidentId, ...state.input })}** — ${state.status}`,
      state.input.summary,
      state.acknowledgedBy ? `Acknowledged by ${state.acknowledgedBy} at ${iso(state.acknowledgedAt)}` : '',
      lastPage ? `Last paged: ${lastPage.levelName} (${lastPage.contacts.join(', ')}) at ${lastPage.at}` : '',
      nextEscalation ? `Next escalation: ${nextEscalation}` : '',
    ]
      .filter(Boolean)
      .join('\n\n'),
  );
  return key;
}
