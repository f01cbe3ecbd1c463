import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Custom search attributes (Keyword), registered on the server at start-up and kept current by the workflow. */
export const IncidentSeverityKey = defineSearchAttributeKey('IncidentSeverity', SearchAttributeType.KEYWORD);
export const IncidentServiceKey = defineSearchAttributeKey('IncidentService', SearchAttributeType.KEYWORD);
export const IncidentScenarioKey = defineSearchAttributeKey('IncidentScenario', SearchAttributeType.KEYWORD);
export const IncidentStatusKey = defineSearchAttributeKey('IncidentStatus', SearchAttributeType.KEYWORD);

export const INCIDENT_SEARCH_ATTRIBUTES = [
  IncidentSeverityKey,
  IncidentServiceKey,
  IncidentScenarioKey,
  IncidentStatusKey,
] as const;
