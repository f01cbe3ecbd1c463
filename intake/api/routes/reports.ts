/** `GET /reports/response-times`: MTTA and MTTR per service and severity, from the store (any period). */
import type { FastifyPluginAsync } from 'fastify';
import { responseTimes, type SqlClient } from '../../../store';
import { sinceInstant } from './since';

const seconds = { type: 'number', nullable: true } as const;

export const reportRoutes =
  (db: SqlClient): FastifyPluginAsync =>
  async (app) => {
    app.get<{ Querystring: { since: string } }>(
      '/reports/response-times',
      {
        schema: {
          summary: 'Mean time to acknowledge and to resolve, per service and severity',
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: {
              since: {
                type: 'string',
                default: '30d',
                description: 'a duration back from now (90d) or an ISO time',
              },
            },
          },
          response: {
            200: {
              type: 'object',
              properties: {
                since: { type: 'string', format: 'date-time' },
                rows: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: {
                      service: { type: 'string' },
                      severity: { type: 'string' },
                      incidents: { type: 'integer' },
                      acknowledged: { type: 'integer' },
                      resolved: { type: 'integer' },
                      mttaSeconds: seconds,
                      mttrSeconds: seconds,
                    },
                  },
                },
              },
            },
          },
        },
      },
      async (req) => {
        const since = sinceInstant(req.query.since);
        return { since, rows: await responseTimes(db, since) };
      },
    );
  };
