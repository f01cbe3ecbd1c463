/**
 * The alert intake: Alertmanager, Grafana and generic webhooks in, incident workflows out. Answers 2xx only
 * once Temporal has accepted the start or the signal; 503 with Retry-After while Temporal is away.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { parse as parseQueryString } from 'node:querystring';
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Env } from '../activities/secrets';
import { readSecret } from '../activities/secrets';
import type { RunbooksConfig } from '../config';
import { alertSignal } from '../workflows/messages';
import { AlertRejected, fromAlertmanager, fromGeneric, fromGrafana, type IntakeAction } from './alerts';
import { incidentWorkflowId } from './incident-id';
import { createIntakeMetrics, type IntakeMetrics } from './metrics';
import { openOrSignalIncident, type OpenedIncident } from './open-incident';
import { ResendFilter } from './resend-filter';
import { sendCommand, type CommandOutcome } from './commands';
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

export async function buildIntakeServer(opts: IntakeOptions): Promise<FastifyInstance> {
  const { client, config } = opts;
  const env = opts.env ?? process.env;
  const metrics = opts.metrics ?? createIntakeMetrics();
  const timeoutMs = opts.temporalTimeoutMs ?? 5000;
  const resends = new ResendFilter(config.intake.resendWindow);
  const now = opts.now ?? Date.now;
  const pagerDutyEvents = new SeenOnce(config.pagerduty.webhookMaxAge);
  const app = Fastify({ logger: opts.log ? { level: 'info' } : false, bodyLimit: MAX_BODY_BYTES });

  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'string', bodyLimit: MAX_BODY_BYTES },
    (req, body, done) => {
      req.rawBody = body as string;
      try {
        done(null, (body as string).length ? JSON.parse(body as string) : undefined);
      } catch {
        done(Object.assign(new Error('body: invalid JSON'), { statusCode: 400 }), undefined);
      }
    },
  );
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _req, reply) => {
    const status = err.statusCode ?? 500;
    if (status === 413) return reply.code(413).send({ error: `body: larger than ${MAX_BODY_BYTES} bytes` });
    if (status === 415) return reply.code(415).send({ error: 'content-type: expected application/json' });
    if (status >= 400 && status < 500) return reply.code(status).send({ error: err.message });
    app.log.error({ code: err.code }, 'intake error');
    return reply.code(500).send({ error: 'internal error' });
  });
  app.setNotFoundHandler((_req, reply) => reply.code(404).send({ error: 'not found' }));

  const withTemporal = async <T>(fn: () => Promise<T>): Promise<T> => {
    const end = metrics.latency.startTimer();
    try {
      return await client.connection.withDeadline(Date.now() + timeoutMs, fn);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw err;
      throw new TemporalUnavailable((err as Error).message);
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
    reply.header('content-type', metrics.registry.contentType).send(await metrics.registry.metrics()),
  );

  /** The responder's command as an Update: the answer says what happened, or why it was refused. */
  const sendResponderCommand = async (channel: 'slack' | 'pagerduty', s: ResponderSignal) => {
    const name = s.signal === 'acknowledge' ? 'acknowledge' : s.signal;
    const outcome = await withTemporal(() =>
      sendCommand(client.workflow.getHandle(s.workflowId), name, s.args),
    );
    metrics.responderActions.inc({ channel, signal: s.signal });
    return outcome;
  };

  // Form bodies only where Slack sends them: anywhere else a web page could post a form cross-site (no CORS
  // preflight for forms) to a token-less intake on the responder's laptop.
  await app.register(async (slackScope) => {
    slackScope.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: MAX_BODY_BYTES },
      (req, body, done) => {
        req.rawBody = body as string;
        done(null, parseQueryString(body as string));
      },
    );
    slackScope.post('/slack/interactions', async (req, reply) => {
      const secret = readSecret(env, config.slack.signingSecretEnv);
      if (!secret)
        return reply
          .code(404)
          .send({ error: `Slack interactions are off: ${config.slack.signingSecretEnv} is not set` });
      const why = verifySlackSignature(
        secret,
        req.rawBody ?? '',
        req.headers['x-slack-request-timestamp'] as string | undefined,
        req.headers['x-slack-signature'] as string | undefined,
      );
      if (why) return reply.code(401).send({ error: why });
      let payload: unknown;
      try {
        payload = JSON.parse(String((req.body as Record<string, unknown> | undefined)?.payload ?? ''));
      } catch {
        return reply.code(400).send({ error: 'payload: invalid JSON', field: 'payload' });
      }
      const s = slackClickToSignal(payload);
      if (typeof s === 'string') return reply.code(400).send({ error: s, field: 'payload.actions' });
      let outcome: CommandOutcome;
      try {
        outcome = await sendResponderCommand('slack', s);
      } catch (err) {
        if (err instanceof WorkflowNotFoundError)
          return reply
            .code(200)
            .send({ response_type: 'ephemeral', text: 'That incident is already closed.' });
        return unavailable(reply);
      }
      return reply.code(200).send({
        response_type: 'ephemeral',
        text: outcome.accepted ? `${s.workflowId}: ${outcome.message}` : `Not done: ${outcome.reason}.`,
      });
    });
  });

  app.post('/pagerduty/webhooks', async (req, reply) => {
    const secret = readSecret(env, config.pagerduty.webhookSecretEnv);
    if (!secret)
      return reply
        .code(404)
        .send({ error: `PagerDuty webhooks are off: ${config.pagerduty.webhookSecretEnv} is not set` });
    const why = verifyPagerDutySignature(
      secret,
      req.rawBody ?? '',
      req.headers['x-pagerduty-signature'] as string | undefined,
    );
    if (why) return reply.code(401).send({ error: why });
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
      return unavailable(reply);
    }
    // Applied (or refused by the incident): a replay of the same request changes nothing more.
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

  return app;
}
