/**
 * The API (`/api/v1`) on its own listener, apart from the alert intake, so that alert senders can reach the
 * intake without reaching the API. Fastify with its OpenAPI 3 document generated from the routes' schemas
 * (`/api/v1/openapi.json`), one plugin per resource in `routes/`, errors that name the field (422), and,
 * until people have API tokens (issue 26), this machine only: a request from elsewhere, or addressed to a
 * name that is not loopback (DNS rebinding), is refused with 403.
 */
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance } from 'fastify';
import type { SqlClient } from '../../store';
import { hostOf, isLoopbackHost } from '../http';
import { incidentRoutes } from './routes/incidents';
import { reportRoutes } from './routes/reports';

export const API_PREFIX = '/api/v1';

export interface ApiOptions {
  db: SqlClient;
  version: string;
  log?: boolean;
}

/** The first schema error as `<field>: <what is wrong>`. */
function fieldError(err: {
  validation?: Array<{ instancePath: string; message?: string; params?: object }>;
}) {
  const first = err.validation?.[0];
  const params = (first?.params ?? {}) as { missingProperty?: string };
  const field =
    first?.instancePath.replace(/^\//, '').replace(/\//g, '.') || params.missingProperty || 'request';
  return `${field}: ${first?.message ?? 'invalid'}`;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** `METHOD /path` of every route the OpenAPI document must describe (a test holds the two together). */
    apiRoutes: string[];
  }
}

export async function buildApiServer(opts: ApiOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: opts.log ? { level: 'info' } : false });
  app.decorate('apiRoutes', [] as string[]);
  app.addHook('onRoute', (route) => {
    const hidden = (route.schema as { hide?: boolean } | undefined)?.hide;
    for (const method of [route.method].flat())
      if (!hidden && method !== 'HEAD') app.apiRoutes.push(`${method} ${route.url}`);
  });
  app.addHook('onRequest', async (req, reply) => {
    if (!isLoopbackHost(req.ip) || !isLoopbackHost(hostOf(req.headers.host)))
      return reply.code(403).send({
        error: 'the API answers this machine only until API tokens exist: call it on 127.0.0.1',
      });
  });
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
        description: 'The system of record: incidents, their timelines and notifications, response times.',
      },
    },
  });
  await app.register(incidentRoutes(opts.db), { prefix: API_PREFIX });
  await app.register(reportRoutes(opts.db), { prefix: API_PREFIX });
  app.get(`${API_PREFIX}/openapi.json`, { schema: { hide: true } }, async () => app.swagger());
  return app;
}
