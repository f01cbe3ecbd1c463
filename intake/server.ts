/**
 * The intake's HTTP server: fastify with the body limit, JSON that refuses prototype keys, load shedding and
 * a per-address rate limit, then one plugin per sender (`routes/`). Every route answers a clear status: 4xx
 * naming the field, 503 with Retry-After when Temporal or the intake itself is overloaded.
 */
import { createServer } from 'node:http';
import rateLimit from '@fastify/rate-limit';
import underPressure from '@fastify/under-pressure';
import Fastify, { type FastifyInstance } from 'fastify';
import { intakeContext, type IntakeOptions } from './context';
import {
  httpError,
  isLoopbackHost,
  fastifyLogging,
  logAnswers,
  MAX_BODY_BYTES,
  parseJson,
  rateBucket,
  RETRY_AFTER_S,
} from './http';
import { alertRoutes } from './routes/alerts';
import { heartbeatRoutes } from './routes/heartbeats';
import { healthRoutes } from './routes/health';
import { pagerDutyRoutes } from './routes/pagerduty';
import { slackRoutes } from './routes/slack';

export { isLoopbackHost, MAX_BODY_BYTES, RETRY_AFTER_S, type IntakeOptions };

export async function buildIntakeServer(opts: IntakeOptions): Promise<FastifyInstance> {
  const ctx = intakeContext(opts);
  const limits = opts.config.intake;
  const app = Fastify({
    // Each post's fate is logged by its route, refusals and errors below: not every health probe and scrape.
    ...fastifyLogging(opts.logger),
    bodyLimit: MAX_BODY_BYTES,
    // The source address is the connection's unless a configured proxy forwarded it.
    trustProxy: limits.trustedProxies.length ? limits.trustedProxies : false,
    // A slow client (slow-loris) must send its headers and body in time; Node checks every second, not 30.
    serverFactory: (handler) =>
      createServer(
        {
          requestTimeout: limits.requestTimeout,
          headersTimeout: Math.min(limits.requestTimeout, 60_000),
          keepAliveTimeout: limits.keepAliveTimeout,
          connectionsCheckingInterval: 1000,
        },
        handler,
      ),
  });

  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'string', bodyLimit: MAX_BODY_BYTES },
    (req, body, done) => {
      req.rawBody = body as string;
      try {
        done(null, parseJson(body as string));
      } catch (err) {
        done(err as Error, undefined);
      }
    },
  );
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    const status = err.statusCode ?? 500;
    if (status === 413) return reply.code(413).send({ error: `body: larger than ${MAX_BODY_BYTES} bytes` });
    if (status === 415) return reply.code(415).send({ error: 'content-type: expected application/json' });
    if (status === 429) return reply.code(429).send({ error: err.message });
    if (status === 503)
      return reply
        .code(503)
        .header('retry-after', String(RETRY_AFTER_S))
        .send({ error: err.message, retryAfterSeconds: RETRY_AFTER_S });
    if (status >= 400 && status < 500) return reply.code(status).send({ error: err.message });
    req.log.error({ err, code: err.code }, 'intake error');
    return reply.code(500).send({ error: 'internal error' });
  });
  app.addHook('onClose', () => ctx.requests.close());
  app.setNotFoundHandler((_req, reply) => reply.code(404).send({ error: 'not found' }));
  logAnswers(app);
  // Every answer, by the route's pattern (never the raw URL: a bounded label) and status code.
  app.addHook('onResponse', async (req, reply) => {
    ctx.metrics.responses.inc({ route: req.routeOptions.url ?? 'unmatched', code: String(reply.statusCode) });
  });

  // Load shedding: past the event-loop delay, answer 503 at once instead of queueing everyone behind the flood.
  await app.register(underPressure, {
    maxEventLoopDelay: limits.maxEventLoopDelay,
    // No sample within an interval counts as infinite delay: an interval as long as the limit keeps that
    // true to the limit (a 150 ms pause must not shed load when the limit is 1 s).
    sampleInterval: Math.max(limits.maxEventLoopDelay, 10),
    retryAfter: RETRY_AFTER_S,
    exposeStatusRoute: false,
    customError: class Overloaded extends Error {
      statusCode = 503;
      constructor() {
        super('the intake is overloaded; retry later');
      }
    },
  });
  // Per source address and bucket (`rateBucket`), before the body is read, so a flood costs little; one
  // without the token has a smaller bucket than the senders with it. An app-level hook, so that it runs
  // before each route's own `onRequest` (the token check): refusals count too, and guessing the token is
  // limited like anything else.
  const anonymous = (key: string) => key.startsWith('anonymous:');
  const bucketOf = rateBucket(opts.token?.trim() || undefined);
  await app.register(rateLimit, {
    global: false,
    keyGenerator: bucketOf,
    max: (_req, key) => (anonymous(key) ? limits.rateLimit.unauthenticatedMax : limits.rateLimit.max),
    timeWindow: limits.rateLimit.window,
    allowList: (req) => req.url === '/healthz',
    errorResponseBuilder: (req, context) =>
      httpError(
        429,
        `rate limit: more than ${context.max} requests in ${limits.rateLimit.window / 1000} s from this address${anonymous(bucketOf(req)) ? ' without the intake token' : ''}; retry after ${Math.ceil(context.ttl / 1000)} s`,
      ),
  });
  app.addHook('onRequest', app.rateLimit());

  await app.register(alertRoutes(ctx));
  await app.register(heartbeatRoutes(ctx));
  await app.register(healthRoutes(ctx));
  await app.register(slackRoutes(ctx));
  await app.register(pagerDutyRoutes(ctx));
  return app;
}
