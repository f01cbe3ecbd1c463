/** `POST /alerts`, `/alerts/alertmanager`, `/alerts/grafana`: each sender's body parsed, then dispatched. */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { RunbooksConfig } from '../../config';
import { AlertRejected, fromAlertmanager, fromGeneric, fromGrafana, type IntakeAction } from '../alerts';
import type { IntakeContext } from '../context';
import { TemporalRefused, TemporalUnavailable, unavailable } from '../http';

type Source = 'generic' | 'alertmanager' | 'grafana';

export const alertRoutes =
  (ctx: IntakeContext): FastifyPluginAsync =>
  async (app) => {
    const route =
      (source: Source, toAction: (body: unknown, c: RunbooksConfig) => IntakeAction) =>
      async (req: FastifyRequest, reply: FastifyReply) => {
        const count = (outcome: string) => ctx.metrics.alerts.inc({ source, outcome });
        let action: IntakeAction;
        try {
          action = toAction(req.body, ctx.config);
        } catch (err) {
          if (!(err instanceof AlertRejected)) throw err;
          count('rejected');
          return reply.code(400).send({ error: err.message, field: err.field });
        }
        if (action.test) {
          count('test');
          return reply.code(202).send({ incidents: [], test: true, note: action.test });
        }
        try {
          const { outcome, ...answer } = await ctx.alerts.dispatch(action);
          count(outcome);
          return reply.code(202).send(answer);
        } catch (err) {
          if (err instanceof TemporalRefused) {
            count('refused');
            return reply.code(400).send({
              error: `Temporal refused this alert for good (retrying cannot help): ${err.message}`,
              field: 'body',
            });
          }
          if (!(err instanceof TemporalUnavailable)) throw err;
          count('unavailable');
          return unavailable(reply);
        }
      };
    const onRequest = ctx.requireToken;
    app.post('/alerts', { onRequest }, route('generic', fromGeneric));
    app.post('/alerts/alertmanager', { onRequest }, route('alertmanager', fromAlertmanager));
    app.post('/alerts/grafana', { onRequest }, route('grafana', fromGrafana));
  };
