/**
 * What responders tell customers: `POST /incidents/{id}/status-updates` (the seed's template: status, what
 * happens, impact, ETA, next update) and `PUT, DELETE /status/services/{service}` (a responder's word on a
 * service's state, over what its open incidents say). Only for customer-facing services; every change is
 * audited. The page itself is `intake/status/routes.ts`, public.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { RunbooksConfig } from '../../../config';
import {
  DEFAULT_NEXT_UPDATE_MINUTES,
  SERVICE_HEALTHS,
  STATUS_UPDATE_STATUSES,
  type ServiceHealth,
  type StatusUpdate,
  type StatusUpdateStatus,
} from '../../../domain/status-page';
import { postToAdapter } from '../../../activities/http-adapter';
import type { Env } from '../../../activities/secrets';
import {
  publishStatusUpdate,
  recordAudit,
  setServiceOverride,
  statusContextOf,
  type SqlClient,
} from '../../../store';
import { callerName } from '../auth';
import { errorBody, nullableText, nullableTime } from './schemas';

const update = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    incidentId: { type: 'string' },
    service: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'string', enum: [...STATUS_UPDATE_STATUSES] },
    message: { type: 'string' },
    impact: nullableText,
    eta: nullableText,
    nextUpdateAt: nullableTime,
    author: { type: 'string' },
    publishedAt: { type: 'string', format: 'date-time' },
    /** What the external status page (`statusPage`) answered; null when none is configured. */
    externalStatusPage: nullableText,
  },
} as const;

interface UpdateBody {
  status: StatusUpdateStatus;
  message: string;
  title?: string;
  impact?: string;
  eta?: string;
  nextUpdateInMinutes?: number;
}

export function statusRoutes(
  db: SqlClient,
  config: RunbooksConfig,
  env: Env = process.env,
): FastifyPluginAsync {
  /** The update, to an external status page when one is configured (`statusPage`): what it answered. */
  const sendOn = async (u: StatusUpdate): Promise<string | null> => {
    if (!config.statusPage) return null;
    const { author: _author, id: _id, ...fields } = u;
    try {
      return (await postToAdapter('status page', config.statusPage, { ...fields, state: u.status }, env))
        .detail;
    } catch (err) {
      return `not delivered: ${(err as Error).message}`;
    }
  };
  const notCustomerFacing = (service: string) =>
    Object.hasOwn(config.services, service) && config.services[service].customerFacing
      ? null
      : `service ${JSON.stringify(service)} is not customer-facing (services.<name>.customerFacing): the status page does not show it`;
  return async (app) => {
    app.post<{ Params: { id: string }; Body: UpdateBody }>(
      '/incidents/:id/status-updates',
      {
        schema: {
          summary: "Publish a responder's update of a customer-facing incident on the status page",
          params: {
            type: 'object',
            properties: { id: { type: 'string', minLength: 1, maxLength: 300 } },
            required: ['id'],
          },
          body: {
            type: 'object',
            additionalProperties: false,
            properties: {
              status: { type: 'string', enum: [...STATUS_UPDATE_STATUSES] },
              message: { type: 'string', minLength: 1, maxLength: 4000 },
              title: { type: 'string', minLength: 1, maxLength: 200 },
              impact: { type: 'string', minLength: 1, maxLength: 1000 },
              eta: { type: 'string', minLength: 1, maxLength: 200 },
              nextUpdateInMinutes: { type: 'integer', minimum: 5, maximum: 1440 },
            },
            required: ['status', 'message'],
          },
          response: { 201: update, 404: errorBody, 422: errorBody },
        },
      },
      async (req, reply) => {
        const stored = await statusContextOf(db, req.params.id);
        if (!stored)
          return reply
            .code(404)
            .send({ error: `id: no incident ${JSON.stringify(req.params.id)} in the store` });
        const { service, lastTitle } = stored;
        const refused = notCustomerFacing(service);
        if (refused) return reply.code(422).send({ error: `id: ${refused}` });
        const now = Date.now();
        const body = req.body;
        const minutes = body.nextUpdateInMinutes ?? DEFAULT_NEXT_UPDATE_MINUTES;
        const key = req.headers['idempotency-key'];
        const { update: published, first } = await publishStatusUpdate(db, {
          incidentId: req.params.id,
          service,
          // Never the alert's summary: the responder's title, else the last one, else the service's name.
          title: body.title ?? lastTitle ?? `${service}: service disruption`,
          status: body.status,
          message: body.message,
          impact: body.impact ?? null,
          eta: body.eta ?? null,
          nextUpdateAt: body.status === 'resolved' ? null : new Date(now + minutes * 60_000).toISOString(),
          author: callerName(config, req.caller),
          publishedAt: new Date(now).toISOString(),
          ...(typeof key === 'string' && key ? { requestKey: `status-update:${key.slice(0, 200)}` } : {}),
        });
        if (!first) return reply.code(201).send({ ...published, externalStatusPage: null });
        const externalStatusPage = await sendOn(published);
        await recordAudit(db, {
          actor: published.author,
          surface: 'api',
          action: 'status update',
          incidentId: published.incidentId,
          answer: `status page: ${published.status} (${published.title})${externalStatusPage ? `; external: ${externalStatusPage}` : ''}`,
        });
        return reply.code(201).send({ ...published, externalStatusPage });
      },
    );

    const serviceParams = {
      type: 'object',
      properties: { service: { type: 'string', minLength: 1, maxLength: 200 } },
      required: ['service'],
    } as const;
    app.put<{ Params: { service: string }; Body: { health: ServiceHealth; reason?: string } }>(
      '/status/services/:service',
      {
        schema: {
          summary: "Set a customer-facing service's state on the status page, whatever its incidents say",
          params: serviceParams,
          body: {
            type: 'object',
            additionalProperties: false,
            properties: {
              health: { type: 'string', enum: [...SERVICE_HEALTHS] },
              reason: { type: 'string', minLength: 1, maxLength: 500 },
            },
            required: ['health'],
          },
          response: { 200: { type: 'object', additionalProperties: true }, 422: errorBody },
        },
      },
      async (req, reply) => {
        const refused = notCustomerFacing(req.params.service);
        if (refused) return reply.code(422).send({ error: `service: ${refused}` });
        const setBy = callerName(config, req.caller);
        const override = {
          health: req.body.health,
          reason: req.body.reason ?? null,
          setBy,
          setAt: new Date().toISOString(),
        };
        await setServiceOverride(db, req.params.service, override);
        await recordAudit(db, {
          actor: setBy,
          surface: 'api',
          action: 'status override',
          incidentId: null,
          answer: `${req.params.service}: ${req.body.health}`,
        });
        return { service: req.params.service, ...override };
      },
    );

    app.delete<{ Params: { service: string } }>(
      '/status/services/:service',
      {
        schema: {
          summary: "Give a service's state on the status page back to its open incidents",
          params: serviceParams,
          response: { 422: errorBody },
        },
      },
      async (req, reply) => {
        const refused = notCustomerFacing(req.params.service);
        if (refused) return reply.code(422).send({ error: `service: ${refused}` });
        await setServiceOverride(db, req.params.service, null);
        await recordAudit(db, {
          actor: callerName(config, req.caller),
          surface: 'api',
          action: 'status override',
          incidentId: null,
          answer: `${req.params.service}: from its incidents`,
        });
        return reply.code(204).send();
      },
    );
  };
}
