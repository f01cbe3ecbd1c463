/**
 * The worker's Prometheus metrics, all under `durable_runbooks_`: how fast people respond (MTTA / MTTR as
 * histograms by service and severity), observed once per closed incident when its review is written; and
 * every page attempt's result. (The SDK's own metrics join them on the worker's `/metrics`: workers/main.ts.)
 */
import { Counter, Histogram, Registry } from 'prom-client';

export const workerMetrics = new Registry();

// Seconds: one minute to one day.
const buckets = [60, 300, 600, 900, 1800, 3600, 7200, 14_400, 28_800, 86_400];

export const timeToAck = new Histogram({
  name: 'durable_runbooks_incident_time_to_ack_seconds',
  help: 'Time from an incident opening to its acknowledgement, per closed incident',
  labelNames: ['service', 'severity'],
  buckets,
  registers: [workerMetrics],
});

export const timeToResolve = new Histogram({
  name: 'durable_runbooks_incident_time_to_resolve_seconds',
  help: 'Time from an incident opening to its resolution, per closed incident',
  labelNames: ['service', 'severity'],
  buckets,
  registers: [workerMetrics],
});

let configured: ReadonlySet<string> = new Set();

/**
 * The services the `service` label may name: the configuration's. Any other (an alert's text chooses an
 * incident's service) is `other`, so that a sender cannot grow the number of series without bound.
 */
export function labelServices(services: Iterable<string>): void {
  configured = new Set(services);
}

export function serviceLabel(service: string): string {
  return configured.has(service) ? service : 'other';
}

/** One closed incident's response times (seconds; null when it never was acknowledged). */
export function observeResponseTimes(r: {
  service: string;
  severity: string;
  ackSeconds: number | null;
  resolveSeconds: number | null;
}): void {
  const labels = { service: serviceLabel(r.service), severity: r.severity };
  if (r.ackSeconds !== null) timeToAck.observe(labels, r.ackSeconds);
  if (r.resolveSeconds !== null) timeToResolve.observe(labels, r.resolveSeconds);
}

/**
 * Pages by result, per contact and attempt: delivered, logged (no routing key, outside production),
 * unreachable (no routing key, in production), rejected (PagerDuty refused the event), error (retried).
 */
export const pageAttempts = new Counter({
  name: 'durable_runbooks_page_attempts_total',
  help: 'Page attempts to one contact, by channel and result (delivered, logged, unreachable, rejected, error)',
  labelNames: ['channel', 'result'],
  registers: [workerMetrics],
});
// Every series from 0 at start: one that first appears already at 1 shows Prometheus no increase, and the
// first failed page would never fire "pages failing".
for (const result of ['delivered', 'logged', 'unreachable', 'rejected', 'error'])
  pageAttempts.inc({ channel: 'pagerduty', result }, 0);
