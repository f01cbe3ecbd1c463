/**
 * What every intake route shares: the body limit and retry hint, JSON parsing that refuses prototype keys,
 * the bearer token (or loopback only), signed bodies, and the errors that say Temporal or an incident did not
 * answer. Routes live in `routes/`, one file per sender; `server.ts` puts them together.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import secureJson from 'secure-json-parse';
import { readSecret, type Env } from '../activities/secrets';
import type { Logger } from '../config/logger';

declare module 'fastify' {
  interface FastifyRequest {
    rawBody?: string;
  }
}

export const MAX_BODY_BYTES = 1024 * 1024;
export const RETRY_AFTER_S = 10;

/** Temporal did not answer (unreachable, or past the intake's deadline): retry later. */
export class TemporalUnavailable extends Error {}
/** Temporal is reachable but the incident's workflow did not answer in time (a stuck workflow task). */
export class IncidentDidNotAnswer extends Error {}
/**
 * Temporal refused the request for good (gRPC INVALID_ARGUMENT: a payload over the server's blob limit, say):
 * an alert's sender must hear 4xx, or it retries for ever. Routes that do not tell it apart answer it as
 * they answer `TemporalUnavailable`, as before it existed.
 */
export class TemporalRefused extends TemporalUnavailable {}
/** gRPC INVALID_ARGUMENT, on the error or the cause the client wrapped it in. */
export const invalidArgument = (err: unknown): boolean => {
  for (let e = err as { code?: number; cause?: unknown } | undefined, depth = 0; e && depth < 4; depth++) {
    if (e.code === 3) return true;
    e = e.cause as typeof e;
  }
  return false;
};
/** gRPC UNAVAILABLE: the server itself could not be reached (anything else came from a reachable server). */
export const unreachable = (err: unknown) => (err as { code?: number } | undefined)?.code === 14;

export const httpError = (statusCode: number, message: string) =>
  Object.assign(new Error(message), { statusCode });

/**
 * Fastify's options for a process logger: without one, no logging (tests); with one, no line per request
 * (every health probe and scrape), only what `logAnswers` and the routes say.
 */
export function fastifyLogging(logger: Logger | undefined) {
  return logger
    ? {
        loggerInstance: logger as FastifyBaseLogger,
        logController: new LogController({ disableRequestLogging: true }),
      }
    : { logger: false };
}

/**
 * Logs every refusal and error the server answers (4xx at warn, 5xx at error), by route pattern and source
 * address: a sender whose alerts were refused is found in the log, not only in its own. Successes are logged
 * by the routes that have something to say about them.
 */
export function logAnswers(app: FastifyInstance): void {
  app.addHook('onResponse', async (req, reply) => {
    const code = reply.statusCode;
    if (code < 400 || code === 429) return; // a flood's refusals are counted (metrics), not each logged
    req.log[code >= 500 ? 'error' : 'warn'](
      { route: req.routeOptions.url ?? 'unmatched', method: req.method, code, from: req.ip },
      `answered ${code}`,
    );
  });
}

export const unavailable = (reply: FastifyReply) =>
  reply
    .code(503)
    .header('retry-after', String(RETRY_AFTER_S))
    .send({ error: 'Temporal is unavailable; retry later', retryAfterSeconds: RETRY_AFTER_S });

/** JSON with `__proto__` and `constructor.prototype` keys refused (prototype poisoning), not merely dropped. */
export function parseJson(text: string, field = 'body'): unknown {
  if (!text.length) return undefined;
  try {
    return secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch (err) {
    const poisoned = err instanceof SyntaxError && /prototype/i.test(err.message);
    throw httpError(
      400,
      poisoned ? `${field}: "__proto__" and "constructor" keys are not allowed` : `${field}: invalid JSON`,
    );
  }
}

/** A loopback address or `localhost`, decided on the address itself (not on a name that starts with 127.). */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  if (isIP(bare) === 4) return bare.split('.')[0] === '127';
  return isIP(bare) === 6 && (bare === '::1' || /^::ffff:127\./i.test(bare));
}

/** The host name of a Host header, without its port. */
export function hostOf(header: string | undefined): string {
  const h = (header ?? '').trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  return h.replace(/:\d+$/, '');
}

function sameToken(expected: string, header: string | undefined): boolean {
  // The scheme is case-insensitive (RFC 9110 §11.1): `bearer` and `BEARER` are the same credentials.
  const given = /^bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1] ?? '';
  // Hash both sides so the comparison is constant-time whatever the lengths.
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(given).digest();
  return timingSafeEqual(a, b) && given.length > 0;
}

/**
 * The rate-limit bucket of a request, by address. With a token configured, a request carrying it counts in
 * its address's `token:` bucket and one without it in the smaller `anonymous:` one: behind an ingress, where
 * every source shares one address, a flood without the token cannot starve Alertmanager. Slack's and
 * PagerDuty's requests, whose signatures are checked only once the body is read, have buckets of their own.
 */
export const rateBucket =
  (token: string | undefined) =>
  (req: FastifyRequest): string => {
    const signed = /^\/(slack|pagerduty)\//.exec(req.url)?.[1];
    if (signed) return `${signed}:${req.ip}`;
    if (!token) return `address:${req.ip}`;
    return `${sameToken(token, req.headers.authorization) ? 'token' : 'anonymous'}:${req.ip}`;
  };

/** The `onRequest` hook of the alert, readiness and metrics routes: the bearer token, or loopback only. */
export const tokenCheck = (token: string | undefined) => async (req: FastifyRequest, reply: FastifyReply) => {
  // Without a token only this machine may post, and a browser tricked by DNS rebinding (a page whose
  // name resolves to 127.0.0.1) still names that page's host: refuse every Host that is not loopback.
  if (!token && !isLoopbackHost(hostOf(req.headers.host)))
    return reply.code(403).send({
      error: `host: ${JSON.stringify(String(req.headers.host ?? '').slice(0, 100))} is not this machine; set INTAKE_TOKEN to accept alerts addressed to other names`,
      field: 'host',
    });
  if (token && !sameToken(token, req.headers.authorization))
    return reply
      .code(401)
      .header('www-authenticate', 'Bearer')
      .send({ error: 'authorization: missing or wrong bearer token' });
};

/** How a sender signs its requests, and the secret it signs with. */
export interface Signing {
  /** What is off while the secret is unset (answered 404): "Slack interactions", "PagerDuty webhooks". */
  feature: string;
  env: Env;
  secretEnv: string;
  /** Why the request's signature of `raw` is not the secret's, or null when it is. */
  check(secret: string, req: FastifyRequest, raw: string): string | null;
}

function verifySigned(
  signing: Signing,
  req: FastifyRequest,
  raw: string,
): { status: number; error: string } | null {
  const secret = readSecret(signing.env, signing.secretEnv);
  if (!secret) return { status: 404, error: `${signing.feature} are off: ${signing.secretEnv} is not set` };
  const why = signing.check(secret, req, raw);
  return why ? { status: 401, error: why } : null;
}

/**
 * A route signed by its sender parses nothing it has not verified: the signature is checked on the raw body
 * inside the route's only content-type parser, so an unsigned 1 MiB body is never parsed.
 */
export function acceptSignedBodies(
  scope: FastifyInstance,
  contentType: string,
  signing: Signing,
  parse: (raw: string) => unknown,
): void {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser(
    contentType,
    { parseAs: 'string', bodyLimit: MAX_BODY_BYTES },
    (req, body, done) => {
      const refused = verifySigned(signing, req, body as string);
      if (refused) return done(httpError(refused.status, refused.error), undefined);
      req.rawBody = body as string;
      try {
        done(null, parse(body as string));
      } catch (err) {
        done(err as Error, undefined);
      }
    },
  );
}

/** A signed route reached with no body (so no parser ran) is refused as unsigned. */
export const requireVerifiedBody = async (req: FastifyRequest, reply: FastifyReply) => {
  if (req.rawBody === undefined) return reply.code(401).send({ error: 'missing signed body' });
};
