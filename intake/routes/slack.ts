/**
 * `POST /slack/commands` (`/incident declare …`, `page <id> @team`, `role <id> commander @amy`,
 * `reassign <id> @team`) and `/slack/interactions` (button clicks), signed by Slack.
 * Form bodies only here: anywhere else a web page could post a form cross-site (no CORS preflight for
 * forms) to a token-less intake on the responder's laptop.
 */
import { createHash } from 'node:crypto';
import { parse as parseQueryString } from 'node:querystring';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { SLACK_MEMBER_ID } from '../../config/schema';
import { slackText } from '../../domain/text';
import { actorName, mayAct } from '../access';
import type { CommandOutcome } from '../commands';
import type { IntakeContext } from '../context';
import {
  acceptSignedBodies,
  IncidentDidNotAnswer,
  parseJson,
  requireVerifiedBody,
  unavailable,
} from '../http';
import { declareIncident, parseDeclare } from '../open-incident';
import { sendResponderCommand } from '../responder-command';
import {
  SLACK_SIGNATURE_WINDOW_S,
  slackClickToSignal,
  verifySlackSignature,
  type ResponderSignal,
} from '../responders';
import { openIncidentId } from '../merge-target';
import { parseSlackMerge, parseSlackPage, parseSlackReassign, parseSlackRole } from '../slack-page';

/**
 * A signed request from a workspace or app other than the configured ones (`slack.teamId`, `slack.appId`),
 * as the field that says so and why; null when it is ours (or nothing is configured).
 */
function foreignSender(
  slack: IntakeContext['config']['slack'],
  teamId: unknown,
  appId: unknown,
): { field: string; error: string } | null {
  if (slack.teamId !== null && teamId !== slack.teamId)
    return { field: 'team_id', error: 'team_id: not the configured Slack workspace (slack.teamId)' };
  if (slack.appId !== null && appId !== slack.appId)
    return { field: 'api_app_id', error: 'api_app_id: not the configured Slack app (slack.appId)' };
  return null;
}

export const slackRoutes =
  (ctx: IntakeContext): FastifyPluginAsync =>
  async (scope) => {
    const { config } = ctx;
    const signing = {
      feature: 'Slack interactions',
      env: ctx.env,
      secretEnv: config.slack.signingSecretEnv,
      check: (secret: string, req: FastifyRequest, raw: string) =>
        verifySlackSignature(
          secret,
          raw,
          req.headers['x-slack-request-timestamp'] as string | undefined,
          req.headers['x-slack-signature'] as string | undefined,
        ),
    };
    acceptSignedBodies(scope, 'application/x-www-form-urlencoded', signing, (raw) => parseQueryString(raw));
    // A signed request may be sent again as long as its timestamp is within 5 minutes either way: the first
    // to arrive claims its signature for those 10 minutes (in the store, when the replicas share one), and a
    // replay is answered without acting again. A request that could not be handled gives its claim back.
    const windowMs = 2 * SLACK_SIGNATURE_WINDOW_S * 1000;
    const signatureOf = (req: FastifyRequest) => String(req.headers['x-slack-signature']);
    const firstTime = (req: FastifyRequest) => ctx.requests.claim(`slack:${signatureOf(req)}`, windowMs);
    const giveBack = (req: FastifyRequest) => ctx.requests.release(`slack:${signatureOf(req)}`);
    const replayAnswer = { response_type: 'ephemeral', text: 'This request was already handled.' };

    // `/incident declare <service> <P1|P2|P3> <summary>`: a person opens an incident without an alert.
    scope.post('/slack/commands', { preHandler: requireVerifiedBody }, async (req, reply) => {
      if (!(await firstTime(req))) return reply.code(200).send(replayAnswer);
      const form = (req.body ?? {}) as Record<string, unknown>;
      const foreign = foreignSender(config.slack, form.team_id, form.api_app_id);
      if (foreign) return reply.code(403).send(foreign);
      const ephemeral = (text: string) =>
        reply.code(200).send({ response_type: 'ephemeral', text: slackText(text) });
      const userId = typeof form.user_id === 'string' ? form.user_id : '';
      if (!SLACK_MEMBER_ID.test(userId))
        return reply.code(400).send({ error: 'user_id: not a Slack member id', field: 'user_id' });
      const text = typeof form.text === 'string' ? form.text : '';
      const who = {
        channel: 'slack' as const,
        userId,
        ...(typeof form.user_name === 'string' ? { name: form.user_name } : {}),
      };
      const verb = text.trim().split(/\s+/)[0];
      // `/incident page <incident-id> @db` (revision 7): add a responder.
      if (verb === 'page') {
        const page = parseSlackPage(config, text);
        if (typeof page === 'string') return ephemeral(page);
        const { kind, name } = page.target;
        return answerCommand(req, reply, {
          workflowId: page.workflowId,
          signal: 'page',
          who,
          args: { [kind]: name, ...(page.incident ? { incident: page.incident } : {}) },
        });
      }
      // `/incident role <incident-id> commander @amy` (revision 7): name who holds a role.
      if (verb === 'role') {
        const role = parseSlackRole(config, text, actorName(config, who));
        if (typeof role === 'string') return ephemeral(role);
        return answerCommand(req, reply, {
          workflowId: role.workflowId,
          signal: 'setRole',
          who,
          args: {
            role: role.role,
            person: role.person,
            ...(role.incident ? { incident: role.incident } : {}),
          },
        });
      }
      // `/incident reassign <incident-id> @db` (revision 7): another team's policy takes the incident.
      if (verb === 'reassign') {
        const moved = parseSlackReassign(config, text);
        if (typeof moved === 'string') return ephemeral(moved);
        return answerCommand(req, reply, {
          workflowId: moved.workflowId,
          signal: 'reassign',
          who,
          args: { team: moved.team, ...(moved.incident ? { incident: moved.incident } : {}) },
        });
      }
      // `/incident merge <incident-id> <into-id>` (revision 8): close it into another open incident.
      if (verb === 'merge') {
        const merge = parseSlackMerge(text);
        if (typeof merge === 'string') return ephemeral(merge);
        let into: Awaited<ReturnType<typeof openIncidentId>>;
        try {
          into = await openIncidentId(ctx.client, merge.into, ctx.withTemporal);
        } catch {
          await giveBack(req);
          return unavailable(reply);
        }
        if ('refused' in into) return ephemeral(`Not done: ${into.refused}.`);
        return answerCommand(req, reply, {
          workflowId: merge.workflowId,
          signal: 'merge',
          who,
          args: {
            into: into.incidentId,
            intoWorkflowId: into.workflowId,
            ...(merge.incident ? { incident: merge.incident } : {}),
          },
        });
      }
      const declared = parseDeclare(text);
      if (typeof declared === 'string') return ephemeral(declared);
      const access = mayAct(config, who, 'declare', { service: declared.service });
      if (!access.allowed) return ephemeral(`Not done: ${access.reason}.`);
      try {
        const requestId = createHash('sha256').update(signatureOf(req)).digest('hex').slice(0, 32);
        const opened = await ctx.withTemporal(() =>
          declareIncident(
            ctx.client,
            { ...declared, by: access.by },
            { taskQueue: ctx.taskQueue, requestId },
          ),
        );
        if (opened.deduplicated) return reply.code(200).send(replayAnswer);
        ctx.metrics.responderActions.inc({ channel: 'slack', signal: 'declare' });
        return reply.code(200).send({
          response_type: 'in_channel',
          text: slackText(
            `${access.by} declared ${opened.workflowId}: ${declared.severity} ${declared.service} — ${declared.summary}`,
          ),
        });
      } catch {
        await giveBack(req);
        return unavailable(reply);
      }
    });

    scope.post('/slack/interactions', { preHandler: requireVerifiedBody }, async (req, reply) => {
      if (!(await firstTime(req))) return reply.code(200).send(replayAnswer);
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
      const sender = payload as { team?: { id?: unknown }; api_app_id?: unknown } | null;
      const foreign = foreignSender(config.slack, sender?.team?.id, sender?.api_app_id);
      if (foreign) return reply.code(403).send({ ...foreign, field: `payload.${foreign.field}` });
      const s = slackClickToSignal(payload);
      if (typeof s === 'string') return reply.code(400).send({ error: s, field: 'payload' });
      return answerCommand(req, reply, s);
    });

    /** A responder's command from Slack, answered to the person only: done, refused and why, or not done. */
    async function answerCommand(req: FastifyRequest, reply: FastifyReply, s: ResponderSignal) {
      let outcome: CommandOutcome;
      try {
        outcome = await sendResponderCommand(ctx, 'slack', s);
      } catch (err) {
        if (err instanceof WorkflowNotFoundError)
          return reply
            .code(200)
            .send({ response_type: 'ephemeral', text: 'That incident is already closed.' });
        if (err instanceof IncidentDidNotAnswer)
          return reply
            .code(200)
            .send({ response_type: 'ephemeral', text: slackText(`Not done: ${err.message}.`) });
        await giveBack(req);
        return unavailable(reply);
      }
      return reply.code(200).send({
        response_type: 'ephemeral',
        text: slackText(
          outcome.accepted ? `${s.workflowId}: ${outcome.message}` : `Not done: ${outcome.reason}.`,
        ),
      });
    }
  };
