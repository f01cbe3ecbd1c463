/** `POST /heartbeats/<name>`: a beat of a configured heartbeat, behind the alert routes' token. */
import type { FastifyPluginAsync } from 'fastify';
import type { IntakeContext } from '../context';
import { TemporalUnavailable, unavailable } from '../http';
import { ownValue } from '../../domain/policy';

export const heartbeatRoutes =
  (ctx: IntakeContext): FastifyPluginAsync =>
  async (app) => {
    app.post<{ Params: { name: string } }>(
      '/heartbeats/:name',
      { onRequest: ctx.requireToken },
      async (req, reply) => {
        const { name } = req.params;
        if (!ownValue(ctx.config.heartbeats, name))
          return reply.code(404).send({
            error: `no heartbeat "${name.slice(0, 100)}" is configured (heartbeats.<name>)`,
            field: 'name',
          });
        try {
          const outcome = await ctx.heartbeats.beat(name);
          ctx.metrics.alerts.inc({ source: 'heartbeat', outcome });
          return reply.code(202).send({ heartbeat: name, outcome });
        } catch (err) {
          if (!(err instanceof TemporalUnavailable)) throw err;
          req.log.error({ heartbeat: name }, `Temporal did not answer: ${err.message}`);
          return unavailable(reply);
        }
      },
    );
  };
