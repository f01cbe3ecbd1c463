import type { RunbooksConfig } from '../config';
import { classifySeverity, ownValue } from '../workflows/policy';
import { SCENARIOS, type Scenario, type Severity } from '../workflows/types';

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
  const service = explicit.service ?? ownValue(labels, 'service') ?? ownValue(labels, 'job');
  if (!service) return { missing: 'service' };
  const routed = ownValue(routing.scenarioByAlertname, ownValue(labels, 'alertname'));
  const scenario =
    explicit.scenario ?? (routed && (SCENARIOS as readonly string[]).includes(routed) ? routed : 'health');
  const severity = classifySeverity({
    explicit: explicit.severity,
    label: ownValue(labels, 'severity'),
    serviceOverride: ownValue(services, service)?.severity,
    severityByLabel: routing.severityByLabel,
    defaultSeverity: routing.defaultSeverity,
  });
  const security =
    explicit.security ??
    (ownValue(labels, 'security') === 'true' || ownValue(labels, 'category') === 'security');
  return { service, scenario, severity, security };
}
