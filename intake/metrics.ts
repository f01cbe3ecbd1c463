/**
 * The intake's Prometheus metrics, all under `durable_runbooks_`: alert posts by source and outcome, every
 * answer by route and status code, Temporal's latency, responders' actions; and, given Temporal, the
 * fleet's gauges (`fleet-metrics.ts`).
 */
import type { Client } from '@temporalio/client';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { registerFleetMetrics } from './fleet-metrics';

export function createIntakeMetrics(fleet?: { client: Client; taskQueue: string; timeoutMs: number }) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'durable_runbooks_intake_' });
  if (fleet) registerFleetMetrics(registry, fleet);
  return {
    registry,
    alerts: new Counter({
      name: 'durable_runbooks_intake_posts_total',
      help: 'Alert posts by source and outcome (started, deduplicated, resolved_signalled, rejected, refused, unavailable)',
      labelNames: ['source', 'outcome'] as const,
      registers: [registry],
    }),
    responses: new Counter({
      name: 'durable_runbooks_intake_responses_total',
      help: "Answers by route (the route's pattern; unmatched for none) and status code",
      labelNames: ['route', 'code'] as const,
      registers: [registry],
    }),
    latency: new Histogram({
      name: 'durable_runbooks_intake_temporal_seconds',
      help: 'Time Temporal took to accept a start or signal',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    responderActions: new Counter({
      name: 'durable_runbooks_intake_responder_actions_total',
      help: 'Slack button clicks and PagerDuty webhook events turned into signals',
      labelNames: ['channel', 'signal'] as const,
      registers: [registry],
    }),
  };
}
export type IntakeMetrics = ReturnType<typeof createIntakeMetrics>;
