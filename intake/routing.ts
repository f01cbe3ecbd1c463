import type { RunbooksConfig } from '../config';
import { classifySeverity, ownValue } from '../workflows/policy';
import type { Scenario, Severity } from '../workflows/types';

export interface Route {
  service: string;
  scenario: Scenario;
  severity: Severity;
  security: boolean;
}

/** The scenario an alertname runs: the config's routing first, then the definitions' `alertnames`. */
function scenarioOf(alertname: string | undefined, config: RoutingConfig): Scenario | undefined {
  if (alertname === undefined) return undefined;
  return (
    ownValue(config.routing.scenarioByAlertname, alertname) ??
    config.runbookDefinitions.find((d) => d.alertnames.includes(alertname))?.scenario
  );
}

type RoutingConfig = Pick<RunbooksConfig, 'routing' | 'services' | 'runbookDefinitions'>;

/**
 * Routing from labels, by config: service from `service` else `job`, scenario by `alertname` (the
 * config's routing, then the runbook definitions'), severity by `severity`.
 */
export function routeFromLabels(
  labels: Record<string, string>,
  config: RoutingConfig,
  explicit: { service?: string; scenario?: Scenario; severity?: string; security?: boolean } = {},
): Route | { missing: 'service' } {
  const { routing, services } = config;
  const service = explicit.service ?? ownValue(labels, 'service') ?? ownValue(labels, 'job');
  if (!service) return { missing: 'service' };
  const scenario = explicit.scenario ?? scenarioOf(ownValue(labels, 'alertname'), config) ?? 'health';
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
