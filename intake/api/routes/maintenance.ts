/**
 * Maintenance windows for the console, as `durable-runbooks maintenance` keeps them (one workflow per
 * service): `GET /maintenance` (every window under way or planned), `POST /maintenance/{service}` (open one
 * for a while), `DELETE /maintenance/{service}` (end the one under way). The workflow's validator refuses
 * what cannot be (a 409 with its reason); changes are audited.
 */
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { endMaintenance, listMaintenance, startMaintenance } from '../../../activities/oncall';
import type { RunbooksConfig } from '../../../config';
import type { MaintenanceWindow } from '../../../domain/messages';
import { recordAudit, type SqlClient } from '../../../store';
import { TASK_QUEUE } from '../../open-incident';
import { callerName } from '../auth';
import { withinDeadline, workflowUpdateFailure, type TemporalAccess } from './commands';
import { errorBody } from './schemas';

const serviceParam = {
  type: 'object',
  properties: {
    service: { type: 'string', minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9][\\w.:/-]*$' },
  },
  required: ['service'],
} as const;

const windowView = (service: string, w: MaintenanceWindow) => ({
  service,
  id: w.id,
  from: new Date(w.from).toISOString(),
  to: new Date(w.to).toISOString(),
  by: w.by,
  reason: w.reason ?? null,
});

export function maintenanceRoutes(
  db: SqlClient,
  config: RunbooksConfig,
  temporal: TemporalAccess | undefined,
): FastifyPluginAsync {
  const failure = (reply: FastifyReply, err: unknown, service: string) =>
    workflowUpdateFailure(reply, err, { code: 409, error: `no maintenance under way for ${service}` });
  const audit = (by: string, action: string, answer: string) =>
    recordAudit(db, { actor: by, surface: 'api', action, incidentId: null, answer });
  return async (app) => {
    const deadline = <T>(fn: () => Promise<T>) => withinDeadline(temporal!, fn);

    app.get(
      '/maintenance',
      {
        schema: {
          summary: 'Maintenance windows under way or planned, every service; the services configured',
        },
      },
      async (_req, reply) => {
        if (!temporal) return reply.code(503).send({ error: 'this API is not connected to Temporal' });
        try {
          const listed = await listMaintenance(temporal.client, temporal.taskQueue ?? TASK_QUEUE, 5_000);
          return {
            windows: listed.windows.map((w) => windowView(w.service, w)),
            unreadable: listed.unreadable,
            services: Object.keys(config.services),
          };
        } catch (err) {
          return failure(reply, err, '');
        }
      },
    );

    app.post<{ Params: { service: string }; Body: { minutes: number; reason?: string } }>(
      '/maintenance/:service',
      {
        schema: {
          summary:
            "Planned work: the service's alerts open suppressed incidents that page nobody, for a while",
          params: serviceParam,
          body: {
            type: 'object',
            additionalProperties: false,
            required: ['minutes'],
            properties: {
              minutes: { type: 'integer', minimum: 1, maximum: 7 * 24 * 60 },
              reason: { type: 'string', maxLength: 500 },
            },
          },
          response: { 409: errorBody, 422: errorBody, 503: errorBody },
        },
      },
      async (req, reply) => {
        if (!temporal) return reply.code(503).send({ error: 'this API is not connected to Temporal' });
        const { service } = req.params;
        const by = callerName(config, req.caller);
        try {
          const window = await deadline(() =>
            startMaintenance(temporal.client, temporal.taskQueue ?? TASK_QUEUE, service, {
              to: Date.now() + req.body.minutes * 60_000,
              by,
              ...(req.body.reason ? { reason: req.body.reason } : {}),
            }),
          );
          await audit(
            by,
            'start maintenance',
            `maintenance ${window.id} of ${service} until ${new Date(window.to).toISOString()}`,
          );
          return reply.code(201).send(windowView(service, window));
        } catch (err) {
          return failure(reply, err, service);
        }
      },
    );

    app.delete<{ Params: { service: string } }>(
      '/maintenance/:service',
      {
        schema: {
          summary: "End the service's maintenance window under way",
          params: serviceParam,
          response: { 409: errorBody, 503: errorBody },
        },
      },
      async (req, reply) => {
        if (!temporal) return reply.code(503).send({ error: 'this API is not connected to Temporal' });
        const { service } = req.params;
        const by = callerName(config, req.caller);
        try {
          await deadline(() => endMaintenance(temporal.client, service, by));
          await audit(by, 'end maintenance', `maintenance of ${service} ended`);
          return { ended: service };
        } catch (err) {
          return failure(reply, err, service);
        }
      },
    );
  };
}
