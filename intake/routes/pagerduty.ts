/** `POST /pagerduty/webhooks`: PagerDuty's v3 webhooks (acknowledge, resolve, escalate), signed, applied once. */
import { createHash } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { CommandOutcome } from '../commands';
import type { IntakeContext } from '../context';
import {
  acceptSignedBodies,
  IncidentDidNotAnswer,
  parseJson,
  requireVerifiedBody,
  RETRY_AFTER_S,
  unavailable,
} from '../http';
import { sendResponderCommand } from '../responder-command';
import {
  PAGERDUTY_CLOCK_SKEW_MS,
  pagerDutyEventAge,
  pagerDutyEventToSignal,
  verifyPagerDutySignature,
} from '../responders';

export const pagerDutyRoutes =
  (ctx: IntakeContext): FastifyPluginAsync =>
  async (scope) => {
    const { config, now } = ctx;
    // An event is applied once: the first delivery claims its id (in the store, when the replicas share one)
    // for as long as it is not stale, and gives the claim back when it could not be applied, so that
    // PagerDuty's retry is.
    const windowMs = config.pagerduty.webhookMaxAge + PAGERDUTY_CLOCK_SKEW_MS;
    const signing = {
      feature: 'PagerDuty webhooks',
      env: ctx.env,
      secretEnv: config.pagerduty.webhookSecretEnv,
      check: (secret: string, req: FastifyRequest, raw: string) =>
        verifyPagerDutySignature(secret, raw, req.headers['x-pagerduty-signature'] as string | undefined),
    };
    acceptSignedBodies(scope, 'application/json', signing, (raw) => parseJson(raw));

    scope.post('/pagerduty/webhooks', { preHandler: requireVerifiedBody }, async (req, reply) => {
      const stale = pagerDutyEventAge(req.body, now(), config.pagerduty.webhookMaxAge);
      // 2xx: PagerDuty retries anything else, and a retry of a stale event stays stale.
      if (stale) return reply.code(202).send({ refused: stale });
      const eventId = (req.body as { event: { id: string } }).event.id;
      const claim = `pagerduty:${createHash('sha256').update(eventId).digest('hex')}`;
      if (!(await ctx.requests.claim(claim, windowMs)))
        return reply.code(202).send({ ignored: `event ${eventId.slice(0, 80)} was already applied` });
      const s = pagerDutyEventToSignal(req.body);
      if (typeof s === 'string') return reply.code(202).send({ ignored: s });
      let outcome: CommandOutcome;
      try {
        outcome = await sendResponderCommand(ctx, 'pagerduty', s);
      } catch (err) {
        if (err instanceof WorkflowNotFoundError)
          return reply.code(202).send({ ignored: 'incident already closed' });
        await ctx.requests.release(claim);
        // 503: PagerDuty retries, and the incident may answer by then; the body says why.
        if (err instanceof IncidentDidNotAnswer)
          return reply
            .code(503)
            .header('retry-after', String(RETRY_AFTER_S))
            .send({ error: err.message, workflowId: s.workflowId });
        return unavailable(reply);
      }
      // PagerDuty retries anything but 2xx; a refusal is an answer, not a failure.
      return reply
        .code(202)
        .send(
          outcome.accepted
            ? { signalled: s.signal, workflowId: s.workflowId, result: outcome.message }
            : { refused: outcome.reason, workflowId: s.workflowId },
        );
    });
  };
