/** `GET /healthz` (open), `/readyz` and `/metrics` (behind the token: they tell about Temporal and traffic). */
import type { FastifyPluginAsync } from 'fastify';
import { workerMetrics } from '../../activities/metrics';
import type { IntakeContext } from '../context';
import { RETRY_AFTER_S } from '../http';

export const healthRoutes =
  (ctx: IntakeContext): FastifyPluginAsync =>
  async (app) => {
    app.get('/healthz', async () => ({ status: 'ok' }));
    app.get('/readyz', { onRequest: ctx.requireToken }, async (_req, reply) => {
      try {
        await ctx.withTemporal(() => ctx.client.workflowService.getSystemInfo({}));
        return { status: 'ready', temporal: 'reachable' };
      } catch {
        return reply
          .code(503)
          .header('retry-after', String(RETRY_AFTER_S))
          .send({ status: 'not ready', temporal: 'unreachable' });
      }
    });
    app.get('/metrics', { onRequest: ctx.requireToken }, async (_req, reply) =>
      // The worker's response-time histograms too, when it runs in this process (`npm start`).
      reply
        .header('content-type', ctx.metrics.registry.contentType)
        .send(`${await ctx.metrics.registry.metrics()}\n${await workerMetrics.metrics()}`),
    );
  };
