import type { RunbooksConfig } from '../config';
import { classifySeverity } from '../workflows/policy';
import type { Scenario, Severity } from '../workflows/types';

export interface Route {
  service: string;
  scenario: Scenario;
  severity: Severity;
  security: boolean;
}

/** Routing from labels, by config: service from `service` else `job`, scenario by `alertname`, severity by `severity`. */
export function routeFromLabels(
  labels: Record<string, string>,
  routing: RunbooksConfig['routing'],
  services: RunbooksConfig['services'],
  explicit: { service?: string; scenario?: Scenario; severity?: string; security?: boolean } = {},
): Route | { missing: 'service' } {
  const service = explicit.service ?? labels.service ?? labels.job;
  if (!service) return { missing: 'service' };
  const scenario =
    explicit.scenario ??
    (labels.alertname ? routing.scenarioByAlertname[labels.alertname] : undefined) ??
    'health';
  const severity = classifySeverity({
    explicit: explicit.severity,
    label: labels.severity,
    serviceOverride: services[service]?.severity,
    severityByLabel: routing.severityByLabel,
    defaultSeverity: routing.defaultSeverity,
  });
  const security = explicit.security ?? (labels.security === 'true' || labels.category === 'security');
  return { service, scenario, severity, security };
}
