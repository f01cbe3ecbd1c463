/**
 * Alert payloads the intake accepts (generic JSON, Alertmanager v4, Grafana unified alerting), validated
 * with zod and normalised into incident starts. Every rejection names the field that is wrong.
 */
import { z } from 'zod';
import { knownScenarios, type RunbooksConfig } from '../config';
import { createHash } from 'node:crypto';
import {
  SCENARIO_NAME,
  SEVERITIES,
  type AlertLinks,
  type IncidentInput,
  type SourceAlert,
} from '../domain/types';
import { ownValue, parseSeverity } from '../domain/policy';
import { capLabels, routeFromLabels, severityOf } from './routing';

const text = (max: number) => z.string().trim().min(1).max(max);
const labelMap = z.record(z.string().max(200), z.string().max(2000));
/** The rule for service names on every route: they name containers, files and keys. */
export const serviceName = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9][\w.:/-]*$/, 'letters, digits and . _ : / - only');

export const genericAlertSchema = z.strictObject({
  service: serviceName,
  summary: text(2000),
  severity: z.string().trim().max(20).optional(),
  dedupKey: text(500).optional(),
  scenario: z.string().regex(SCENARIO_NAME, 'expected a scenario name').optional(),
  status: z.enum(['firing', 'resolved']).default('firing'),
  security: z.boolean().optional(),
  labels: labelMap.optional(),
  url: z.url().optional(),
});

const amAlert = z.object({
  status: z.enum(['firing', 'resolved']),
  labels: labelMap,
  annotations: labelMap.default({}),
  startsAt: z.string().optional(),
  endsAt: z.string().optional(),
  generatorURL: z.string().optional(),
  /** Absent from Alertmanager before 0.19: computed from the labels. */
  fingerprint: text(200).optional(),
});

export const alertmanagerSchema = z.object({
  version: z.literal('4'),
  groupKey: text(2000),
  truncatedAlerts: z.number().int().min(0).default(0),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string().optional(),
  groupLabels: labelMap.default({}),
  commonLabels: labelMap.default({}),
  commonAnnotations: labelMap.default({}),
  externalURL: z.string().optional(),
  alerts: z.array(amAlert).min(1).max(1000),
});

export const grafanaSchema = z.object({
  /** Sent by every Grafana release we know; if one leaves it out, the group's labels stand in. */
  groupKey: text(2000).optional(),
  groupLabels: labelMap.default({}),
  status: z.enum(['firing', 'resolved']),
  orgId: z.number().int().optional(),
  state: z.string().optional(),
  title: z.string().optional(),
  message: z.string().optional(),
  truncatedAlerts: z.number().int().min(0).default(0),
  commonLabels: labelMap.default({}),
  alerts: z
    .array(
      amAlert.extend({
        values: z.record(z.string(), z.number().nullable()).nullable().optional(),
        dashboardURL: z.string().optional(),
        panelURL: z.string().optional(),
        silenceURL: z.string().optional(),
        imageURL: z.string().optional(),
        valueString: z.string().optional(),
      }),
    )
    .min(1)
    .max(1000),
});

export class AlertRejected extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/** Parses with a schema, throwing AlertRejected that names the first bad field. */
export function parseOrReject<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw new AlertRejected('body', 'expected a JSON object');
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field =
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((k) => [...issue.path, k].join('.')).join(', ')
      : issue.path
          .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
          .join('')
          .replace(/^\./, '') || 'body';
  const message = issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message;
  throw new AlertRejected(field, message);
}

/** What the intake does with one post: start-or-signal an incident, or only signal a resolution. */
export interface IntakeAction {
  input: IncidentInput;
  /** Only resolved alerts: never opens an incident, only tells an open one. */
  resolveOnly: boolean;
  /** A sender's test notification (Grafana's "Test" button): answered, never opened as an incident. */
  test?: string;
}

/**
 * Keys of the other routes' incidents (`alertmanager:<groupKey>`, `grafana:<groupKey>`, `declared:…`). A
 * generic post naming one would fold into, or open first, another sender's incident, fixing its service
 * and severity (a P3 squatting the key of a coming P1): such a key is taken as the generic route's own.
 * Other keys stay as they are, so the incidents of senders that name their own keep their ids.
 */
const OTHER_SENDERS_KEYS = /^(alertmanager|grafana|declared):/;

export function fromGeneric(body: unknown, config: RunbooksConfig): IntakeAction {
  const a = parseOrReject(genericAlertSchema, body);
  if (a.scenario !== undefined && !knownScenarios(config).includes(a.scenario))
    throw new AlertRejected('scenario', `unknown scenario (allowed: ${knownScenarios(config).join(', ')})`);
  const route = routeFromLabels(a.labels ?? {}, config, {
    service: a.service,
    scenario: a.scenario,
    severity: a.severity,
    security: a.security,
  });
  if (
    a.severity !== undefined &&
    !parseSeverity(a.severity) &&
    !ownValue(config.routing.severityByLabel, a.severity.toLowerCase())
  )
    throw new AlertRejected(
      'severity',
      `expected P1, P2, P3 or one of ${Object.keys(config.routing.severityByLabel).join(', ')}`,
    );
  const dedupKey =
    a.dedupKey === undefined
      ? `generic:${a.service}:${route.scenario}`
      : OTHER_SENDERS_KEYS.test(a.dedupKey)
        ? `generic:${a.dedupKey}`
        : a.dedupKey;
  const alert: SourceAlert = {
    fingerprint: dedupKey,
    status: a.status,
    summary: a.summary,
    labels: capLabels(a.labels ?? {}, config),
    source: 'generic',
    severity: route.severity,
    ...(a.url ? { url: a.url } : {}),
  };
  return {
    input: { dedupKey, ...route, summary: a.summary, alerts: [alert] },
    resolveOnly: a.status === 'resolved',
  };
}

type AmAlert = z.output<typeof amAlert>;

function summaryOf(alert: AmAlert): string {
  return alert.annotations.summary ?? alert.annotations.description ?? alert.labels.alertname ?? 'alert';
}

/** Alertmanager's fingerprint, for senders older than 0.19 that send none: a hash of the sorted labels. */
export function labelFingerprint(labels: Record<string, string>): string {
  const canonical = JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return `labels:${createHash('sha256').update(canonical).digest('hex').slice(0, 16)}`;
}

/** Grafana's "Test" button on a contact point sends one alert named TestAlert from instance Grafana. */
function isGrafanaTest(alerts: AmAlert[]): boolean {
  return (
    alerts.length === 1 &&
    alerts[0].labels.alertname === 'TestAlert' &&
    alerts[0].labels.instance === 'Grafana'
  );
}

type GroupAlert = AmAlert & { dashboardURL?: string; panelURL?: string; silenceURL?: string };

/** A link a sender gave, kept only if it is an http(s) URL of sane length: never a script or data URL. */
function webLink(value: string | undefined): string | undefined {
  if (!value || value.length > 1000) return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/** The alert's links; Alertmanager's silence link opens its "new silence" form with the alert's labels. */
function linksOf(a: GroupAlert, externalURL: string | undefined): AlertLinks | undefined {
  const base = webLink(externalURL);
  const matchers = Object.entries(a.labels)
    .map(([k, v]) => `${k}="${v.replace(/["\\]/g, '\\$&')}"`)
    .join(', ');
  const links: AlertLinks = {
    source: webLink(a.generatorURL),
    dashboard: webLink(a.dashboardURL),
    panel: webLink(a.panelURL),
    silence:
      webLink(a.silenceURL) ??
      (base
        ? webLink(`${base.replace(/\/$/, '')}/#/silences/new?filter=${encodeURIComponent(`{${matchers}}`)}`)
        : undefined),
  };
  const present = Object.entries(links).filter(([, v]) => v !== undefined);
  return present.length ? (Object.fromEntries(present) as AlertLinks) : undefined;
}

const withLinks = (links: AlertLinks | undefined) => (links ? { links } : {});

function fromGroup(
  source: 'alertmanager' | 'grafana',
  groupKey: string,
  commonLabels: Record<string, string>,
  alerts: GroupAlert[],
  config: RunbooksConfig,
  title?: string,
  externalURL?: string,
): IntakeAction {
  const firing = alerts.filter((a) => a.status === 'firing');
  const lead = firing[0] ?? alerts[0];
  const route = routeFromLabels({ ...lead.labels, ...commonLabels }, config);
  const normalized: SourceAlert[] = alerts.map((a) => ({
    fingerprint: a.fingerprint ?? labelFingerprint(a.labels),
    status: a.status,
    summary: summaryOf(a),
    labels: capLabels(a.labels, config),
    source,
    // Each alert's own severity: a critical one in a group that opened at info raises the incident.
    severity: severityOf({ ...commonLabels, ...a.labels }, route.service, config),
    ...(a.startsAt ? { startsAt: a.startsAt } : {}),
    ...(a.endsAt ? { endsAt: a.endsAt } : {}),
    ...((a.dashboardURL ?? a.generatorURL) ? { url: a.dashboardURL ?? a.generatorURL } : {}),
    ...withLinks(linksOf(a, externalURL)),
  }));
  // The group opens at its most severe firing alert, not its first.
  const counted = normalized.filter((a) => a.status === 'firing');
  const severity = (counted.length ? counted : normalized)
    .map((a) => a.severity ?? route.severity)
    .reduce((worst, s) => (SEVERITIES.indexOf(s) < SEVERITIES.indexOf(worst) ? s : worst), route.severity);
  const summary = title && source === 'grafana' ? title : summaryOf(lead);
  return {
    input: {
      dedupKey: `${source}:${groupKey}`,
      ...route,
      severity,
      summary: summary.slice(0, 2000),
      alerts: normalized,
    },
    resolveOnly: firing.length === 0,
    ...(source === 'grafana' && isGrafanaTest(alerts)
      ? {
          test: 'Grafana test notification received: this contact point reaches Durable Runbooks; no incident opened',
        }
      : {}),
  };
}

export function fromAlertmanager(body: unknown, config: RunbooksConfig): IntakeAction {
  const p = parseOrReject(alertmanagerSchema, body);
  return fromGroup('alertmanager', p.groupKey, p.commonLabels, p.alerts, config, undefined, p.externalURL);
}

export function fromGrafana(body: unknown, config: RunbooksConfig): IntakeAction {
  const p = parseOrReject(grafanaSchema, body);
  const groupKey =
    p.groupKey ?? labelFingerprint(Object.keys(p.groupLabels).length ? p.groupLabels : p.commonLabels);
  return fromGroup('grafana', groupKey, p.commonLabels, p.alerts, config, p.title);
}
