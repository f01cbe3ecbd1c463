/**
 * The post-incident review meeting (engine revision 8): `GET /incidents/{id}/review-meeting` reads what the
 * incident's latest review workflow proposed and whether someone confirmed it; `POST …/review-scheduled`
 * confirms it, or moves it with `when` (everyone invited hears of the new time). Both under the command
 * deadline; the confirmation is audited and open to whoever may act on the service's incidents.
 */
import type { FastifyPluginAsync } from 'fastify';
import { workflowUiLink, type RunbooksConfig } from '../../../config';
import { recordAudit, storedWorkflowId, type SqlClient } from '../../../store';
import { mayAct } from '../../access';
import { workflowIdOfIncident } from '../../incident-id';
import { confirmReview, latestReview } from '../../review-meeting';
import { callerName } from '../auth';
import { temporalFailure, withinDeadline, type TemporalAccess } from './commands';
import { commandRefusals, errorBody } from './schemas';

const params = {
  type: 'object',
  properties: { id: { type: 'string', minLength: 1, maxLength: 300 } },
  required: ['id'],
} as const;

const NO_REVIEW = (id: string) =>
  `id: no review for ${JSON.stringify(id.slice(0, 100))} (it starts when the incident is resolved)`;

export const reviewMeetingRoutes =
  (db: SqlClient, config: RunbooksConfig, temporal: TemporalAccess | undefined): FastifyPluginAsync =>
  async (app) => {
    const deadline = <T>(fn: () => Promise<T>) => withinDeadline(temporal!, fn);
    const lookUp = async (id: string) => {
      const workflowId = (await storedWorkflowId(db, id)) ?? workflowIdOfIncident(id);
      const link = workflowUiLink(config, temporal!.client.options.namespace, workflowId);
      return { link, review: () => latestReview(temporal!.client, workflowId, deadline) };
    };

    app.get<{ Params: { id: string } }>(
      '/incidents/:id/review-meeting',
      {
        schema: {
          summary: "The review meeting proposed at the incident's close, and whether it is confirmed",
          params,
          response: { 404: errorBody, 503: errorBody, 504: errorBody },
        },
      },
      async (req, reply) => {
        if (!temporal) return reply.code(503).send({ error: 'this API is not connected to Temporal' });
        const { link, review } = await lookUp(req.params.id);
        try {
          const found = await review();
          if (!found) return reply.code(404).send({ error: NO_REVIEW(req.params.id) });
          // A worker older than the query (a rolling deploy) answers nothing of the meeting: its state only.
          return {
            incidentId: found.incidentId,
            reviewPath: found.view?.reviewPath ?? null,
            meeting: found.view?.meeting ?? null,
            confirmedBy: found.view?.confirmedBy ?? null,
            state: found.view?.state ?? found.status,
            waiting: found.status === 'running',
          };
        } catch (err) {
          return temporalFailure(reply, err, JSON.stringify(req.params.id), link);
        }
      },
    );

    app.post<{ Params: { id: string }; Body: { when?: string } | undefined }>(
      '/incidents/:id/review-scheduled',
      {
        schema: {
          summary: 'Confirm the review meeting, or move it to `when` (no more reminders)',
          params,
          body: {
            type: 'object',
            nullable: true,
            additionalProperties: false,
            properties: { when: { type: 'string', maxLength: 40, description: 'an ISO time: moves it' } },
          },
          response: {
            200: { type: 'object', properties: { message: { type: 'string' } } },
            ...commandRefusals,
          },
        },
      },
      async (req, reply) => {
        if (!temporal) return reply.code(503).send({ error: 'this API is not connected to Temporal' });
        const said = req.body?.when;
        const at = said === undefined ? undefined : Date.parse(said);
        if (at !== undefined && !Number.isFinite(at))
          return reply.code(422).send({ error: 'when: expected a time such as 2026-12-08T10:00Z' });
        const when = at === undefined ? undefined : new Date(at).toISOString();
        const { link, review } = await lookUp(req.params.id);
        const caller = req.caller;
        const by = callerName(config, caller);
        try {
          const found = await review();
          if (!found) return reply.code(404).send({ error: NO_REVIEW(req.params.id) });
          const audit = (answer: string) =>
            recordAudit(db, {
              actor: by,
              surface: 'api',
              action: 'review-scheduled',
              incidentId: found.incidentId,
              answer,
            });
          if (caller.contactId !== null) {
            const access = mayAct(config, { channel: 'api', userId: caller.contactId }, 'review', {
              service: found.service,
            });
            if (!access.allowed) {
              await audit(`refused: ${access.reason}`);
              return reply.code(403).send({ error: access.reason });
            }
          }
          const answer = await confirmReview(found, by, when, deadline);
          await audit('refused' in answer ? `refused: ${answer.refused}` : answer.done);
          if ('refused' in answer) return reply.code(409).send({ error: answer.refused });
          return { message: answer.done };
        } catch (err) {
          return temporalFailure(reply, err, JSON.stringify(req.params.id), link);
        }
      },
    );
  };
