/**
 * What the Temporal UI shows of an incident: search attributes (a command each, so only on change) and
 * the current details (free, rewritten each pass from a few fields, not the whole status view).
 */
import { setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import { incidentLabel } from '../../domain/render';
import { markdownText, searchAttributeText } from '../../domain/text';
import {
  IncidentScenarioKey,
  IncidentServiceKey,
  IncidentSeverityKey,
  IncidentStatusKey,
} from '../../domain/search-attributes';
import { iso, type IncidentState } from './state';

/** Answers the key of what the search attributes now say; pass it back on the next call. */
export function syncVisibility(state: IncidentState, last: string): string {
  const key = `${state.status}|${state.input.severity}`;
  if (key !== last) upsertSearchAttributes(searchAttributes(state));
  setCurrentDetails(detailsMarkdown(state));
  return key;
}

/** The incident's search attributes, each value printable and capped (Temporal refuses values over 2 KB). */
export function searchAttributes(state: IncidentState) {
  return [
    { key: IncidentSeverityKey, value: searchAttributeText(state.input.severity) },
    { key: IncidentServiceKey, value: searchAttributeText(state.input.service) },
    { key: IncidentScenarioKey, value: searchAttributeText(state.input.scenario) },
    { key: IncidentStatusKey, value: state.status },
  ];
}

/** The UI's "current details" (Markdown): the incident's values escaped, so an alert cannot add markup. */
export function detailsMarkdown(state: IncidentState): string {
  const lastPage = state.paged[state.paged.length - 1];
  const nextEscalation = state.status === 'triggered' ? iso(state.nextEscalationAt) : null;
  const md = markdownText;
  return [
    `**${incidentLabel({ incidentId: state.incidentId, ...state.input }, md)}** — ${state.status}`,
    md(state.input.summary),
    state.acknowledgedBy
      ? `Acknowledged by ${md(state.acknowledgedBy, 200)} at ${iso(state.acknowledgedAt)}`
      : '',
    lastPage
      ? `Last paged: ${md(`${lastPage.levelName} (${lastPage.contacts.join(', ')})`)} at ${lastPage.at}`
      : '',
    nextEscalation ? `Next escalation: ${nextEscalation}` : '',
  ]
    .filter(Boolean)
    .join('\n\n');
}
