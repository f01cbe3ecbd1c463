import type { RunbooksConfig } from '../config';
import { classifySeverity, ownValue } from '../domain/policy';
import type { Scenario, Severity } from '../domain/types';

export interface Route {
  service: string;
  scenario: Scenario;
  severity: Severity;
  security: boolean;
  /** How the service was chosen, when it was not the first routing label (the timeline says so). */
  routedBy?: string;
}

/** The rule for service names on every route: they name containers, files and keys. */
export const SERVICE_NAME = /^[A-Za-z0-9][\w.:/-]*$/;

/**
 * The service an alert's labels name: the first of `routing.serviceLabels` with a usable value, else
 * `routing.defaultService`. Never missing: a well-formed alert from a real sender is routed, not refused.
 */
function serviceOf(labels: Record<string, string>, routing: RoutingConfig['routing']) {
  const unusable: string[] = [];
  for (const [i, label] of routing.serviceLabels.entries()) {
    const value = ownValue(labels, label);
    if (typeof value !== 'string' || !value.trim()) continue;
    const name = value.trim();
    if (name.length <= 200 && SERVICE_NAME.test(name))
      return {
        service: name,
        ...(i > 0 || unusable.length
          ? { routedBy: `service from label "${label}"${unusable.length ? ` (${unusable.join(', ')})` : ''}` }
          : {}),
      };
    unusable.push(`label "${label}" is not a service name`);
  }
  const tried = routing.serviceLabels.map((l) => `"${l}"`).join(', ');
  return {
    service: routing.defaultService,
    routedBy: `no label ${tried} named a service${unusable.length ? ` (${unusable.join(', ')})` : ''}: routed to the default service "${routing.defaultService}" (routing.defaultService)`,
  };
}

/**
 * The severity labels give an alert of `service`: the service's override, an explicit P1–P3, the
 * `severity` label mapped through `routing.severityByLabel`, else `routing.defaultSeverity`.
 */
export function severityOf(
  labels: Record<string, string>,
  service: string,
  config: Pick<RunbooksConfig, 'routing' | 'services'>,
  explicit?: string,
): Severity {
  return classifySeverity({
    explicit,
    label: ownValue(labels, 'severity'),
    serviceOverride: ownValue(config.services, service)?.severity,
    severityByLabel: config.routing.severityByLabel,
    defaultSeverity: config.routing.defaultSeverity,
  });
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
 * config's routing, then the runbook definitions'), severity by `severity`; a `category` in
 * `routing.securityCategories` makes it P1 and a security incident.
 */
export function routeFromLabels(
  labels: Record<string, string>,
  config: RoutingConfig,
  explicit: { service?: string; scenario?: Scenario; severity?: string; security?: boolean } = {},
): Route {
  const { routing } = config;
  const chosen = explicit.service !== undefined ? { service: explicit.service } : serviceOf(labels, routing);
  const service = chosen.service;
  const scenario = explicit.scenario ?? scenarioOf(ownValue(labels, 'alertname'), config) ?? 'health';
  // A security breach or data loss is P1 and the security team's, whatever else the alert says (the seed).
  const category = ownValue(labels, 'category');
  const critical = category !== undefined && routing.securityCategories.includes(category);
  const severity = critical ? 'P1' : severityOf(labels, service, config, explicit.severity);
  const security = explicit.security ?? (ownValue(labels, 'security') === 'true' || critical);
  return { ...chosen, scenario, severity, security };
}

/** Labels one alert keeps at most, in the incident's state (an alert with thousands would bloat every task). */
export const MAX_LABELS = 64;
/** The label that says how many of an alert's labels were dropped. */
export const LABELS_DROPPED = 'durable_runbooks_labels_dropped';

/**
 * An alert's labels within `MAX_LABELS`: the ones routing reads first (they chose its service, scenario and
 * severity), then the others by name, and how many were dropped as a label of its own. Trimmed, not
 * refused: a real sender's alert is never turned away.
 */
export function capLabels(labels: Record<string, string>, config: Pick<RunbooksConfig, 'routing'>) {
  const keys = Object.keys(labels);
  if (keys.length <= MAX_LABELS) return labels;
  const routing = new Set([...config.routing.serviceLabels, 'alertname', 'severity', 'security', 'category']);
  const ordered = [...keys.filter((k) => routing.has(k)), ...keys.filter((k) => !routing.has(k)).sort()];
  const kept = ordered.slice(0, MAX_LABELS - 1);
  return {
    ...Object.fromEntries(kept.map((k) => [k, labels[k]])),
    [LABELS_DROPPED]: String(keys.length - kept.length),
  };
}
