/**
 * The API (`/api/v1`) on its own listener, apart from the alert intake, so that alert senders can reach the
 * intake without reaching the API. Fastify with its OpenAPI 3 document generated from the routes' schemas
 * (`/api/v1/openapi.json`), one plugin per resource in `routes/`, errors that name the field (422), and
 * callers who are people (`auth.ts`): a token or a trusted proxy's header, or, until anyone has a token, this
 * machine only (a request from elsewhere, or addressed to a name that is not loopback, is refused with 403).
 * `/healthz` alone answers anyone: it tells whether the store answers.
 */
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance } from 'fastify';
import type { RunbooksConfig } from '../../config';
import type { Logger } from '../../config/logger';
import type { SqlClient } from '../../store';
import { fastifyLogging, logAnswers } from '../http';
import { authenticate } from './auth';
import { actionItemRoutes } from './routes/action-items';
import { commandRoutes, type TemporalAccess } from './routes/commands';
import { incidentRoutes } from './routes/incidents';
import { onCallRoutes } from './routes/oncall';
import { reportRoutes } from './routes/reports';
import { reviewRoutes } from './routes/reviews';
import { statusRoutes } from './routes/status';
import { statusPageRoutes } from '../status/routes';
import { consoleRoutes } from '../console/routes';
import { calendarRoutes } from './routes/calendar';
import { eventRoutes } from './routes/events';
import { liveRoutes } from './routes/live';
import { reviewMeetingRoutes } from './routes/review-meeting';
import { maintenanceRoutes } from './routes/maintenance';

export const API_PREFIX = '/api/v1';

export interface ApiOptions {
  db: SqlClient;
  config: RunbooksConfig;
  version: string;
  /** Without it the API reads the store and refuses commands (503). */
  temporal?: TemporalAccess;
  /** Where the API logs refusals and errors (`config/logger.ts`); nothing when unset. */
  logger?: Logger;
  /** How long the status page's model is reused (5 s); a test sees each change at once with 0. */
  statusCacheMs?: number;
  /** Where secrets are read (the PagerDuty REST token): the process's environment unless a test gives one. */
  env?: Record<string, string | undefined>;
}

/** The first schema error as `<field>: <what is wrong>`. */
function fieldError(err: {
  validation?: Array<{ instancePath: string; message?: string; params?: object }>;
}) {
  const first = err.validation?.[0];
  const params = (first?.params ?? {}) as { missingProperty?: string; additionalProperty?: string };
  const field =
    first?.instancePath.replace(/^\//, '').replace(/\//g, '.') ||
    params.missingProperty ||
    params.additionalProperty ||
    'request';
  return `${field}: ${first?.message ?? 'invalid'}`;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** `METHOD /path` of every route the OpenAPI document must describe (a test holds the two together). */
    apiRoutes: string[];
  }
}

export async function buildApiServer(opts: ApiOptions): Promise<FastifyInstance> {
  const app = Fastify(fastifyLogging(opts.logger));
  logAnswers(app);
  app.decorate('apiRoutes', [] as string[]);
  app.addHook('onRoute', (route) => {
    const hidden = (route.schema as { hide?: boolean } | undefined)?.hide;
    for (const method of [route.method].flat())
      if (!hidden && method !== 'HEAD') app.apiRoutes.push(`${method} ${route.url}`);
  });
  app.decorateRequest('caller', null as never);
  app.addHook('onRequest', authenticate(opts.db, opts.config));
  app.setErrorHandler((err: Error & { statusCode?: number; validation?: unknown[] }, _req, reply) => {
    if (err.validation) return reply.code(422).send({ error: fieldError(err as never) });
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) return reply.code(status).send({ error: err.message });
    app.log.error(err, 'api error');
    return reply.code(500).send({ error: 'internal error' });
  });
  app.setNotFoundHandler((_req, reply) => reply.code(404).send({ error: 'not found' }));
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Durable Runbooks API',
        version: opts.version,
        description:
          'The system of record: incidents, their timelines and notifications, reviews, response times.',
      },
    },
  });
  await app.register(incidentRoutes(opts.db), { prefix: API_PREFIX });
  await app.register(reportRoutes(opts.db), { prefix: API_PREFIX });
  await app.register(reviewRoutes(opts.db, opts.config), { prefix: API_PREFIX });
  await app.register(commandRoutes(opts.db, opts.config, opts.temporal), { prefix: API_PREFIX });
  await app.register(actionItemRoutes(opts.db, opts.config), { prefix: API_PREFIX });
  await app.register(onCallRoutes(opts.config, opts.temporal), { prefix: API_PREFIX });
  await app.register(statusRoutes(opts.db, opts.config), { prefix: API_PREFIX });
  await app.register(calendarRoutes(opts.db, opts.config, opts.temporal), { prefix: API_PREFIX });
  await app.register(maintenanceRoutes(opts.db, opts.config, opts.temporal), { prefix: API_PREFIX });
  await app.register(liveRoutes(opts.db, opts.config, opts.temporal, opts.env), { prefix: API_PREFIX });
  await app.register(reviewMeetingRoutes(opts.db, opts.config, opts.temporal), { prefix: API_PREFIX });
  await app.register(eventRoutes(opts.db), { prefix: API_PREFIX });
  // The responders' console (`/`, `/incidents/…`, `/login`): pages over this API, for people.
  await app.register(consoleRoutes(opts.db, opts.config));
  // The public status page, open to anyone who reaches this listener (or on its own: STATUS_PORT).
  await app.register(statusPageRoutes(opts.db, opts.config, opts.statusCacheMs));
  app.get(`${API_PREFIX}/openapi.json`, { schema: { hide: true } }, async () => app.swagger());
  // For probes and supervisors (Kubernetes, `npm run cluster`), which hold no token: says whether the store
  // answers, nothing more.
  app.get('/healthz', { schema: { hide: true }, config: { public: true } }, async (_req, reply) => {
    try {
      await opts.db.query('select 1');
      return { status: 'ok' };
    } catch {
      return reply.code(503).send({ status: 'store unreachable' });
    }
  });
  return app;
}
