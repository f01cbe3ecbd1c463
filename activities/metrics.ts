/**
 * The worker's Prometheus metrics: how fast people respond (MTTA / MTTR as histograms by service and
 * severity), observed once per closed incident when its review is written; and every page attempt's result.
 */
import { Counter, Histogram, Registry } from 'prom-client';

export const workerMetrics = new Registry();

// Seconds: one minute to one day.
const buckets = [60, 300, 600, 900, 1800, 3600, 7200, 14_400, 28_800, 86_400];

export const timeToAck = new Histogram({
  name: 'incident_time_to_ack_seconds',
  help: 'Time from an incident opening to its acknowledgement, per closed incident',
  labelNames: ['service', 'severity'],
  buckets,
  registers: [workerMetrics],
});

export const timeToResolve = new Histogram({
  name: 'incident_time_to_resolve_seconds',
  help: 'Time from an incident opening to its resolution, per closed incident',
  labelNames: ['service', 'severity'],
  buckets,
  registers: [workerMetrics],
});

/** One closed incident's response times (seconds; null when it never was acknowledged). */
export function observeResponseTimes(r: {
  service: string;
  severity: string;
  ackSeconds: number | null;
  resolveSeconds: number | null;
}): void {
  const labels = { service: r.service.slice(0, 200), severity: r.severity };
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
