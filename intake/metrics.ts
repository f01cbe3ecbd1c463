import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createIntakeMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'runbooks_intake_' });
  return {
    registry,
    alerts: new Counter({
      name: 'runbooks_intake_posts_total',
      help: 'Alert posts by source and outcome (started, deduplicated, resolved_signalled, rejected, unavailable)',
      labelNames: ['source', 'outcome'] as const,
      registers: [registry],
    }),
    latency: new Histogram({
      name: 'runbooks_intake_temporal_seconds',
      help: 'Time Temporal took to accept a start or signal',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    responderActions: new Counter({
      name: 'runbooks_intake_responder_actions_total',
      help: 'Slack button clicks and PagerDuty webhook events turned into signals',
      labelNames: ['channel', 'signal'] as const,
      registers: [registry],
    }),
  };
}
export type IntakeMetrics = ReturnType<typeof createIntakeMetrics>;
