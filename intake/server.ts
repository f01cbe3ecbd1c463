/**
 * The alert intake: Alertmanager, Grafana and generic webhooks in, incident workflows out. Answers 2xx only
 * once Temporal has accepted the start or the signal; 503 with Retry-After while Temporal is away.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import { isIP } from 'node:net';
import { parse as parseQueryString } from 'node:querystring';
import { isGrpcDeadlineError, type Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import rateLimit from '@fastify/rate-limit';
import underPressure from '@fastify/under-pressure';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import secureJson from 'secure-json-parse';
import type { Env } from '../activities/secrets';
import { readSecret } from '../activities/secrets';
import { workerMetrics } from '../activities/metrics';
import { workflowUiLink, type RunbooksConfig } from '../config';
import { SLACK_MEMBER_ID } from '../config/schema';
import { alertSignal, statusQuery } from '../domain/messages';
import { plainText, slackText } from '../domain/text';
import { AlertRejected, fromAlertmanager, fromGeneric, fromGrafana, type IntakeAction } from './alerts';
import { incidentWorkflowId } from './incident-id';
import { createIntakeMetrics, type IntakeMetrics } from './metrics';
import { declareIncident, openOrSignalIncident, parseDeclare, type OpenedIncident } from './open-incident';
import { ResendFilter } from './resend-filter';
import { sendCommand, type CommandOutcome } from './commands';
import { mayAct } from './access';
import {
  pagerDutyEventAge,
  pagerDutyEventToSignal,
  slackClickToSignal,
  verifyPagerDutySignature,
  verifySlackSignature,
  type ResponderSignal,
} from './responders';

declare module 'fastify' {
  interface FastifyRequest {
    rawBody?: string;
  }
}

export const MAX_BODY_BYTES = 1024 * 1024;
export const RETRY_AFTER_S = 10;

export interface IntakeOptions {
  client: Client;
  config: RunbooksConfig;
  /** Bearer token required on alert routes; without one the caller must bind to loopback. */
  token?: string;
  env?: Env;
  taskQueue?: string;
  temporalTimeoutMs?: number;
  metrics?: IntakeMetrics;
  log?: boolean;
  /** The resend window's clock; a benchmark replays a week of resends through it in minutes. */
  now?: () => number;
}

/** Ids seen within a window (then forgotten: older events are refused as stale anyway). Bounded. */
class SeenOnce {
  private readonly seen = new Map<string, number>();
  constructor(
    private readonly windowMs: number,
    private readonly max = 100_000,
  ) {}
  has(id: string, now: number): boolean {
    for (const [key, at] of this.seen) {
      if (now - at <= this.windowMs && this.seen.size < this.max) break;
      this.seen.delete(key); // oldest first: the Map keeps insertion order
    }
    return this.seen.has(id);
  }
  add(id: string, now: number): void {
    this.seen.set(id, now);
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
function hostOf(header: string | undefined): string {
  const h = (header ?? '').trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  return h.replace(/:\d+$/, '');
}

function sameToken(expected: string, header: string | undefined): boolean {
  const given = header?.startsWith('Bearer ') ? header.slice(7).trim() : '';
  // Hash both sides so the comparison is constant-time whatever the lengths.
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(given).digest();
  return timingSafeEqual(a, b) && given.length > 0;
}

class TemporalUnavailable extends Error {}
/** Temporal is reachable but the incident's workflow did not answer in time (a stuck workflow task). */
class IncidentDidNotAnswer extends Error {}
/** gRPC UNAVAILABLE: the server itself could not be reached (anything else came from a reachable server). */
const unreachable = (err: unknown) => (err as { code?: number } | undefined)?.code === 14;

const httpError = (statusCode: number, message: string) => Object.assign(new Error(message), { statusCode });

/** JSON with `__proto__` and `constructor.prototype` keys refused (prototype poisoning), not merely dropped. */
function parseJson(text: string, field = 'body'): unknown {
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

export async function buildIntakeServer(opts: IntakeOptions): Promise<FastifyInstance> {
  const { client, config } = opts;
  const env = opts.env ?? process.env;
  const metrics = opts.metrics ?? createIntakeMetrics();
  const timeoutMs = opts.temporalTimeoutMs ?? 5000;
  const resends = new ResendFilter(config.intake.resendWindow);
  const now = opts.now ?? Date.now;
  const pagerDutyEvents = new SeenOnce(config.pagerduty.webhookMaxAge);
  const limits = config.intake;
  const app = Fastify({
    logger: opts.log ? { level: 'info' } : false,
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
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _req, reply) => {
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
    app.log.error({ code: err.code }, 'intake error');
    return reply.code(500).send({ error: 'internal error' });
  });
  app.setNotFoundHandler((_req, reply) => reply.code(404).send({ error: 'not found' }));

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
  // Per source address; checked before the token and before the body is read, so a flood costs little.
  await app.register(rateLimit, {
    global: true,
    hook: 'onRequest',
    max: limits.rateLimit.max,
    timeWindow: limits.rateLimit.window,
    allowList: (req) => req.url === '/healthz',
    errorResponseBuilder: (_req, context) =>
      httpError(
        429,
        `rate limit: more than ${context.max} requests in ${limits.rateLimit.window / 1000} s from this address; retry after ${Math.ceil(context.ttl / 1000)} s`,
      ),
  });

  const withTemporal = async <T>(fn: () => Promise<T>): Promise<T> => {
    const end = metrics.latency.startTimer();
    try {
      return await client.connection.withDeadline(Date.now() + timeoutMs, fn);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw err;
      throw new TemporalUnavailable((err as Error).message, { cause: err });
    } finally {
      end();
    }
  };
  const unavailable = (reply: FastifyReply) =>
    reply
      .code(503)
      .header('retry-after', String(RETRY_AFTER_S))
      .send({ error: 'Temporal is unavailable; retry later', retryAfterSeconds: RETRY_AFTER_S });

  const requireToken = async (req: FastifyRequest, reply: FastifyReply) => {
    // Without a token only this machine may post, and a browser tricked by DNS rebinding (a page whose
    // name resolves to 127.0.0.1) still names that page's host: refuse every Host that is not loopback.
    if (!opts.token && !isLoopbackHost(hostOf(req.headers.host)))
      return reply.code(403).send({
        error: `host: ${JSON.stringify(String(req.headers.host ?? '').slice(0, 100))} is not this machine; set INTAKE_TOKEN to accept alerts addressed to other names`,
        field: 'host',
      });
    if (opts.token && !sameToken(opts.token, req.headers.authorization))
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer')
        .send({ error: 'authorization: missing or wrong bearer token' });
  };

  const alertRoute =
    (
      source: 'generic' | 'alertmanager' | 'grafana',
      toAction: (body: unknown, c: RunbooksConfig) => IntakeAction,
    ) =>
    async (req: FastifyRequest, reply: FastifyReply) => {
      let action: IntakeAction;
      try {
        action = toAction(req.body, config);
      } catch (err) {
        if (err instanceof AlertRejected) {
          metrics.alerts.inc({ source, outcome: 'rejected' });
          return reply.code(400).send({ error: err.message, field: err.field });
        }
        throw err;
      }
      if (action.test) {
        metrics.alerts.inc({ source, outcome: 'test' });
        return reply.code(202).send({ incidents: [], test: true, note: action.test });
      }
      const alerts = action.input.alerts ?? [];
      const workflowId = incidentWorkflowId(action.input.dedupKey);
      const resend = resends.resendOf(workflowId, alerts, now());
      if (resend) {
        metrics.alerts.inc({ source, outcome: 'resend_absorbed' });
        return reply
          .code(202)
          .send({ incidents: [{ workflowId, runId: resend.runId, deduplicated: true, resend: true }] });
      }
      try {
        if (action.resolveOnly) {
          try {
            await withTemporal(() =>
              client.workflow
                .getHandle(workflowId)
                .signal(alertSignal, { alerts: action.input.alerts ?? [] }),
            );
          } catch (err) {
            if (!(err instanceof WorkflowNotFoundError)) throw err;
            metrics.alerts.inc({ source, outcome: 'resolved_without_incident' });
            return reply
              .code(202)
              .send({ incidents: [], note: 'resolved alert for no open incident: nothing to do' });
          }
          resends.forget(workflowId);
          metrics.alerts.inc({ source, outcome: 'resolved_signalled' });
          return reply
            .code(202)
            .send({ incidents: [{ workflowId, runId: null, deduplicated: true, resolvedSignalled: true }] });
        }
        // Only what the incident was not told yet; a run the intake did not know gets every alert.
        const knownRun = resends.runOf(workflowId);
        const untold = resends.untold(workflowId, alerts);
        const opened: OpenedIncident = await withTemporal(() =>
          openOrSignalIncident(client, { ...action.input, alerts: untold }, { taskQueue: opts.taskQueue }),
        );
        if (knownRun !== undefined && opened.runId !== knownRun && untold.length < alerts.length)
          await withTemporal(() =>
            client.workflow.getHandle(workflowId, opened.runId).signal(alertSignal, { alerts }),
          );
        resends.remember(workflowId, opened.runId, alerts, now());
        metrics.alerts.inc({ source, outcome: opened.deduplicated ? 'deduplicated' : 'started' });
        return reply.code(202).send({ incidents: [opened] });
      } catch (err) {
        if (err instanceof TemporalUnavailable) {
          metrics.alerts.inc({ source, outcome: 'unavailable' });
          return unavailable(reply);
        }
        throw err;
      }
    };

  app.post('/alerts', { onRequest: requireToken }, alertRoute('generic', fromGeneric));
  app.post('/alerts/alertmanager', { onRequest: requireToken }, alertRoute('alertmanager', fromAlertmanager));
  app.post('/alerts/grafana', { onRequest: requireToken }, alertRoute('grafana', fromGrafana));

  app.get('/healthz', async () => ({ status: 'ok' }));
  // Readiness and metrics tell an outsider about Temporal and the alert traffic: behind the token too.
  app.get('/readyz', { onRequest: requireToken }, async (_req, reply) => {
    try {
      await withTemporal(() => client.workflowService.getSystemInfo({}));
      return { status: 'ready', temporal: 'reachable' };
    } catch {
      return reply
        .code(503)
        .header('retry-after', String(RETRY_AFTER_S))
        .send({ status: 'not ready', temporal: 'unreachable' });
    }
  });
  app.get('/metrics', { onRequest: requireToken }, async (_req, reply) =>
    // The worker's response-time histograms too, when it runs in this process (`npm start`).
    reply
      .header('content-type', metrics.registry.contentType)
      .send(`${await metrics.registry.metrics()}\n${await workerMetrics.metrics()}`),
  );

  /**
   * The responder's command as an Update, once the person may send it: the answer says what happened, or
   * why it was refused. The incident's service (whose approvers and responders apply) comes from the incident.
   */
  const sendResponderCommand = async (
    channel: 'slack' | 'pagerduty',
    s: ResponderSignal,
  ): Promise<CommandOutcome> => {
    const handle = client.workflow.getHandle(s.workflowId);
    try {
      const { service } = await withTemporal(() => handle.query(statusQuery));
      const access = mayAct(config, s.who, s.signal, { service, step: s.args.step });
      if (!access.allowed) {
        metrics.responderActions.inc({ channel, signal: `${s.signal}_refused` });
        return { accepted: false, reason: access.reason };
      }
      const outcome = await withTemporal(() => sendCommand(handle, s.signal, { ...s.args, by: access.by }));
      metrics.responderActions.inc({ channel, signal: s.signal });
      return outcome;
    } catch (err) {
      // Temporal is there, the incident did not answer (no answer in time, or its workflow task failing): its
      // workflow may be stuck, and "Temporal is unavailable, retry later" would hide it.
      if (err instanceof TemporalUnavailable && !unreachable(err.cause)) {
        const why = isGrpcDeadlineError(err.cause)
          ? `did not answer within ${timeoutMs / 1000} s`
          : `could not answer (${plainText(err.message, 200)})`;
        throw new IncidentDidNotAnswer(
          `incident ${s.workflowId} ${why}; its workflow may be stuck (page by hand if it pages nobody): ${workflowUiLink(config, client.options.namespace, s.workflowId, env)}`,
        );
      }
      throw err;
    }
  };

  /**
   * A route signed by its sender parses nothing it has not verified: the signature is checked on the raw body
   * inside the route's only content-type parser, so an unsigned 1 MiB body is never parsed.
   */
  const signedRoute = (
    contentType: string,
    verify: (req: FastifyRequest, raw: string) => { status: number; error: string } | null,
    parse: (raw: string) => unknown,
  ) =>
    async function signedScope(scope: FastifyInstance) {
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser(
        contentType,
        { parseAs: 'string', bodyLimit: MAX_BODY_BYTES },
        (req, body, done) => {
          const refused = verify(req, body as string);
          if (refused) return done(httpError(refused.status, refused.error), undefined);
          req.rawBody = body as string;
          try {
            done(null, parse(body as string));
          } catch (err) {
            done(err as Error, undefined);
          }
        },
      );
    };

  const verifySlack = (req: FastifyRequest, raw: string) => {
    const secret = readSecret(env, config.slack.signingSecretEnv);
    if (!secret)
      return {
        status: 404,
        error: `Slack interactions are off: ${config.slack.signingSecretEnv} is not set`,
      };
    const why = verifySlackSignature(
      secret,
      raw,
      req.headers['x-slack-request-timestamp'] as string | undefined,
      req.headers['x-slack-signature'] as string | undefined,
    );
    return why ? { status: 401, error: why } : null;
  };
  const verifyPagerDuty = (req: FastifyRequest, raw: string) => {
    const secret = readSecret(env, config.pagerduty.webhookSecretEnv);
    if (!secret)
      return {
        status: 404,
        error: `PagerDuty webhooks are off: ${config.pagerduty.webhookSecretEnv} is not set`,
      };
    const why = verifyPagerDutySignature(
      secret,
      raw,
      req.headers['x-pagerduty-signature'] as string | undefined,
    );
    return why ? { status: 401, error: why } : null;
  };
  /** A signed route reached with no body (so no parser ran) is refused as unsigned. */
  const requireVerifiedBody = async (req: FastifyRequest, reply: FastifyReply) => {
    if (req.rawBody === undefined) return reply.code(401).send({ error: 'missing signed body' });
  };

  // Form bodies only where Slack sends them: anywhere else a web page could post a form cross-site (no CORS
  // preflight for forms) to a token-less intake on the responder's laptop.
  await app.register(async (slackScope) => {
    await signedRoute('application/x-www-form-urlencoded', verifySlack, (raw) => parseQueryString(raw))(
      slackScope,
    );
    // `/incident declare <service> <P1|P2|P3> <summary>`: a person opens an incident without an alert.
    slackScope.post('/slack/commands', { preHandler: requireVerifiedBody }, async (req, reply) => {
      const form = (req.body ?? {}) as Record<string, unknown>;
      const ephemeral = (text: string) =>
        reply.code(200).send({ response_type: 'ephemeral', text: slackText(text) });
      const userId = typeof form.user_id === 'string' ? form.user_id : '';
      if (!SLACK_MEMBER_ID.test(userId))
        return reply.code(400).send({ error: 'user_id: not a Slack member id', field: 'user_id' });
      const declared = parseDeclare(typeof form.text === 'string' ? form.text : '');
      if (typeof declared === 'string') return ephemeral(declared);
      const who = {
        channel: 'slack' as const,
        userId,
        ...(typeof form.user_name === 'string' ? { name: form.user_name } : {}),
      };
      const access = mayAct(config, who, 'declare', { service: declared.service });
      if (!access.allowed) return ephemeral(`Not done: ${access.reason}.`);
      try {
        const opened = await withTemporal(() =>
          declareIncident(client, { ...declared, by: access.by }, { taskQueue: opts.taskQueue }),
        );
        metrics.responderActions.inc({ channel: 'slack', signal: 'declare' });
        return reply.code(200).send({
          response_type: 'in_channel',
          text: slackText(
            `${access.by} declared ${opened.workflowId}: ${declared.severity} ${declared.service} — ${declared.summary}`,
          ),
        });
      } catch {
        return unavailable(reply);
      }
    });
    slackScope.post('/slack/interactions', { preHandler: requireVerifiedBody }, async (req, reply) => {
      let payload: unknown;
      try {
        payload = parseJson(
          String((req.body as Record<string, unknown> | undefined)?.payload ?? ''),
          'payload',
        );
      } catch (err) {
        // "payload: invalid JSON", or the prototype-key refusal: parseJson names the field.
        return reply.code(400).send({ error: (err as Error).message, field: 'payload' });
      }
      const s = slackClickToSignal(payload);
      if (typeof s === 'string') return reply.code(400).send({ error: s, field: 'payload' });
      let outcome: CommandOutcome;
      try {
        outcome = await sendResponderCommand('slack', s);
      } catch (err) {
        if (err instanceof WorkflowNotFoundError)
          return reply
            .code(200)
            .send({ response_type: 'ephemeral', text: 'That incident is already closed.' });
        if (err instanceof IncidentDidNotAnswer)
          return reply
            .code(200)
            .send({ response_type: 'ephemeral', text: slackText(`Not done: ${err.message}.`) });
        return unavailable(reply);
      }
      return reply.code(200).send({
        response_type: 'ephemeral',
        text: slackText(
          outcome.accepted ? `${s.workflowId}: ${outcome.message}` : `Not done: ${outcome.reason}.`,
        ),
      });
    });
  });

  await app.register(async (pagerDutyScope) => {
    await signedRoute('application/json', verifyPagerDuty, (raw) => parseJson(raw))(pagerDutyScope);
    pagerDutyScope.post('/pagerduty/webhooks', { preHandler: requireVerifiedBody }, async (req, reply) => {
      const stale = pagerDutyEventAge(req.body, now(), config.pagerduty.webhookMaxAge);
      // 2xx: PagerDuty retries anything else, and a retry of a stale event stays stale.
      if (stale) return reply.code(202).send({ refused: stale });
      const eventId = (req.body as { event: { id: string } }).event.id;
      if (pagerDutyEvents.has(eventId, now()))
        return reply.code(202).send({ ignored: `event ${eventId.slice(0, 80)} was already applied` });
      const s = pagerDutyEventToSignal(req.body);
      if (typeof s === 'string') return reply.code(202).send({ ignored: s });
      let outcome: CommandOutcome;
      try {
        outcome = await sendResponderCommand('pagerduty', s);
      } catch (err) {
        if (err instanceof WorkflowNotFoundError)
          return reply.code(202).send({ ignored: 'incident already closed' });
        // 503: PagerDuty retries, and the incident may answer by then; the body says why.
        if (err instanceof IncidentDidNotAnswer)
          return reply
            .code(503)
            .header('retry-after', String(RETRY_AFTER_S))
            .send({ error: err.message, workflowId: s.workflowId });
        return unavailable(reply);
      }
      // Applied (or refused): a replay of the same request changes nothing more.
      pagerDutyEvents.add(eventId, now());
      // PagerDuty retries anything but 2xx; a refusal is an answer, not a failure.
      return reply
        .code(202)
        .send(
          outcome.accepted
            ? { signalled: s.signal, workflowId: s.workflowId, result: outcome.message }
            : { refused: outcome.reason, workflowId: s.workflowId },
        );
    });
  });

  return app;
}
