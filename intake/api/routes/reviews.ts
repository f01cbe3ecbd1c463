/** `GET /reviews/{incident}`: the post-incident review the store holds, with its root-cause fields. */
import type { FastifyPluginAsync } from 'fastify';
import { reviewOf, type SqlClient } from '../../../store';
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

export function reviewRoutes(db: SqlClient): FastifyPluginAsync {
  return async (app) => {
    app.get<{ Params: { incident: string } }>(
      '/reviews/:incident',
      {
        schema: {
          summary: "An incident's post-incident review, built from its whole timeline when it closed",
          params: {
            type: 'object',
            properties: { incident: { type: 'string', minLength: 1, maxLength: 300 } },
            required: ['incident'],
          },
          response: { 200: review, 404: errorBody },
        },
      },
      async (req, reply) => {
        const found = await reviewOf(db, req.params.incident);
        if (!found)
          return reply
            .code(404)
            .send({ error: `incident: no review of ${JSON.stringify(req.params.incident)} in the store` });
        return found;
      },
    );
  };
}
