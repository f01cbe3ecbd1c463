/** `POST /alerts`, `/alerts/alertmanager`, `/alerts/grafana`: each sender's body parsed, then dispatched. */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { RunbooksConfig } from '../../config';
import { AlertRejected, fromAlertmanager, fromGeneric, fromGrafana, type IntakeAction } from '../alerts';
import type { IntakeContext } from '../context';
import { SpanKind } from '@opentelemetry/api';
import { inSpan } from '../../config/tracing';
import { TemporalRefused, TemporalUnavailable, unavailable } from '../http';
import { incidentIdOf } from '../../domain/incident-id';
import { splitHeartbeats } from '../heartbeats';

type Source = 'generic' | 'alertmanager' | 'grafana';

/**
 * The log line of an accepted post: where it went and how it was routed. The incident id is known when this
 * post started the incident; otherwise its workflow id is what the incident id starts with.
 */
function dispatchedFields(
  source: Source,
  { input }: IntakeAction,
  outcome: string,
  incident?: { workflowId: string; runId: string | null },
) {
  return {
    source,
    outcome,
    ...(incident && { workflowId: incident.workflowId, runId: incident.runId ?? undefined }),
    ...(outcome === 'started' &&
      incident?.runId && { incidentId: incidentIdOf(incident.workflowId, incident.runId) }),
    service: input.service,
    severity: input.severity,
    scenario: input.scenario,
    alerts: input.alerts?.length ?? 0,
    ...(input.routedBy && { routedBy: input.routedBy }),
  };
}

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
          req.log.warn({ source, field: err.field }, `alert refused: ${err.message}`);
          return reply.code(400).send({ error: err.message, field: err.field });
        }
        if (action.test) {
          count('test');
          return reply.code(202).send({ incidents: [], test: true, note: action.test });
        }
        try {
          const { beats, unmatched, rest } = splitHeartbeats(ctx.config, action);
          for (const name of beats) count(await ctx.heartbeats.beat(name));
          if (unmatched.length)
            req.log.warn({ source, alertnames: unmatched }, 'heartbeat alert for no configured heartbeat');
          if (!rest) {
            const note = unmatched.length
              ? `${unmatched.join(', ')}: a heartbeat alert (routing.heartbeatAlertnames) that no heartbeat is configured for (heartbeats.<name>); it opens no incident`
              : undefined;
            return reply.code(202).send({ incidents: [], heartbeats: beats, ...(note && { note }) });
          }
          action = rest;
          // The trace of this alert starts here (when traces are on): the signal-with-start is its child.
          const { outcome, traceId, ...answer } = await inSpan(
            `POST ${req.routeOptions.url}`,
            SpanKind.SERVER,
            { 'alert.source': source, 'alert.service': action.input.service },
            async (span) => {
              const dispatched = await ctx.alerts.dispatch(action);
              span.setAttribute('alert.outcome', dispatched.outcome);
              const { traceId, traceFlags } = span.spanContext();
              return { ...dispatched, traceId: traceFlags ? traceId : undefined };
            },
          );
          count(outcome);
          req.log.info(
            {
              ...dispatchedFields(source, action, outcome, answer.incidents[0]),
              ...(traceId && { traceId }),
            },
            `alert ${outcome}`,
          );
          return reply.code(202).send(answer);
        } catch (err) {
          if (err instanceof TemporalRefused) {
            count('refused');
            req.log.warn(
              { source, service: action.input.service },
              `alert refused by Temporal: ${err.message}`,
            );
            return reply.code(400).send({
              error: `Temporal refused this alert for good (retrying cannot help): ${err.message}`,
              field: 'body',
            });
          }
          if (!(err instanceof TemporalUnavailable)) throw err;
          count('unavailable');
          // The sender retries on 503 (Alertmanager, Grafana): the alert is not lost, but it is late.
          req.log.error({ source, service: action.input.service }, `Temporal did not answer: ${err.message}`);
          return unavailable(reply);
        }
      };
    const onRequest = ctx.requireToken;
    app.post('/alerts', { onRequest }, route('generic', fromGeneric));
    app.post('/alerts/alertmanager', { onRequest }, route('alertmanager', fromAlertmanager));
    app.post('/alerts/grafana', { onRequest }, route('grafana', fromGrafana));
  };
