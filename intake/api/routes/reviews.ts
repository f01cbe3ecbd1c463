/**
 * `GET /reviews/{incident}`: the post-incident review the store holds, with its root-cause fields;
 * `PATCH` the same path: a person fills in the root-cause answers (audited); `GET /reviews/{incident}/markdown`:
 * the document with those answers and the incident's tracked action items in place of the templates.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { RunbooksConfig } from '../../../config';
import { filledReview } from '../../../domain/render';
import {
  editReview,
  listActionItems,
  recordAudit,
  REVIEW_FIELDS,
  reviewOf,
  type ReviewFields,
  type SqlClient,
} from '../../../store';
import { callerName } from '../auth';
import { errorBody, nullableText } from './schemas';

const review = {
  type: 'object',
  properties: {
    incidentId: { type: 'string' },
    markdown: { type: 'string' },
    whatHappened: nullableText,
    why: nullableText,
    detection: nullableText,
    resolution: nullableText,
    prevention: nullableText,
    writtenAt: { type: 'string', format: 'date-time' },
  },
} as const;
const params = {
  type: 'object',
  properties: { incident: { type: 'string', minLength: 1, maxLength: 300 } },
  required: ['incident'],
} as const;
const noReview = (incident: string) => ({
  error: `incident: no review of ${JSON.stringify(incident)} in the store`,
});

export function reviewRoutes(db: SqlClient, config: RunbooksConfig): FastifyPluginAsync {
  return async (app) => {
    app.get<{ Params: { incident: string } }>(
      '/reviews/:incident',
      {
        schema: {
          summary: "An incident's post-incident review, built from its whole timeline when it closed",
          params,
          response: { 200: review, 404: errorBody },
        },
      },
      async (req, reply) => {
        const found = await reviewOf(db, req.params.incident);
        if (!found) return reply.code(404).send(noReview(req.params.incident));
        return found;
      },
    );

    app.patch<{ Params: { incident: string }; Body: ReviewFields }>(
      '/reviews/:incident',
      {
        schema: {
          summary:
            'Fill in the root-cause answers of a review (what happened, why, detection, resolution, prevention)',
          params,
          body: {
            type: 'object',
            additionalProperties: false,
            minProperties: 1,
            properties: Object.fromEntries(
              REVIEW_FIELDS.map((f) => [f, { type: 'string', maxLength: 4000, nullable: true }]),
            ),
          },
          response: { 200: review, 404: errorBody, 422: errorBody },
        },
      },
      async (req, reply) => {
        const saved = await editReview(db, req.params.incident, req.body);
        if (!saved) return reply.code(404).send(noReview(req.params.incident));
        await recordAudit(db, {
          actor: callerName(config, req.caller),
          surface: 'api',
          action: 'edit review',
          incidentId: req.params.incident,
          answer: `edited ${Object.keys(req.body).join(', ')}`,
        });
        return saved;
      },
    );

    app.get<{ Params: { incident: string } }>(
      '/reviews/:incident/markdown',
      {
        schema: {
          summary:
            'The review as Markdown, with the root-cause answers and the tracked action items filled in',
          params,
          response: { 404: errorBody },
        },
      },
      async (req, reply) => {
        const found = await reviewOf(db, req.params.incident);
        if (!found) return reply.code(404).send(noReview(req.params.incident));
        const actionItems = await listActionItems(db, { incidentId: req.params.incident });
        return reply
          .header('content-type', 'text/markdown; charset=utf-8')
          .header(
            'content-disposition',
            `attachment; filename="review-${found.incidentId.replace(/[^\w.-]/g, '_')}.md"`,
          )
          .send(filledReview(found.markdown, { ...found, actionItems }));
      },
    );
  };
}
