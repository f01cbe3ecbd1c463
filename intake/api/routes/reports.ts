/**
 * Reports from the store, for any period: `GET /reports/response-times` (MTTA and MTTR per service and
 * severity), `GET /reports/weekly` (the same, and the incident count, per week) and `GET
 * /reports/on-call-load` (pages per person, out of hours in a time zone).
 */
import type { FastifyPluginAsync } from 'fastify';
import { onCallLoad, responseTimes, weeklyResponseTimes, type SqlClient } from '../../../store';
import { SEVERITIES } from '../../../domain/types';
import { sinceInstant } from './since';
import { errorBody } from './schemas';

const sinceParam = {
  type: 'string',
  default: '30d',
  description: 'a duration back from now (90d) or an ISO time',
} as const;

function knownZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const seconds = { type: 'number', nullable: true } as const;
/** The fields of `responseFields` (store/reports.ts), in every report that counts response times. */
const responseFieldsSchema = {
  incidents: { type: 'integer' },
  acknowledged: { type: 'integer' },
  resolved: { type: 'integer' },
  mttaSeconds: seconds,
  mttrSeconds: seconds,
} as const;

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
                      ...responseFieldsSchema,
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

    app.get<{ Querystring: { since: string; service?: string; severity?: string } }>(
      '/reports/weekly',
      {
        schema: {
          summary: 'Incidents, MTTA and MTTR per week (optionally of one service or severity)',
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: {
              since: { ...sinceParam, default: '90d' },
              service: { type: 'string', minLength: 1, maxLength: 200 },
              severity: { type: 'string', enum: SEVERITIES },
            },
          },
          response: {
            200: {
              type: 'object',
              properties: {
                since: { type: 'string', format: 'date-time' },
                weeks: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: {
                      week: { type: 'string', format: 'date' },
                      ...responseFieldsSchema,
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
        const { service, severity } = req.query;
        return { since, weeks: await weeklyResponseTimes(db, since, { service, severity }) };
      },
    );

    app.get<{ Querystring: { since: string; timeZone: string } }>(
      '/reports/on-call-load',
      {
        schema: {
          summary: 'Pages per person, and how many came out of hours (before 09:00, from 17:00, weekends)',
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: {
              since: sinceParam,
              timeZone: {
                type: 'string',
                default: 'UTC',
                maxLength: 64,
                description: 'IANA zone of the hours',
              },
            },
          },
          response: {
            200: {
              type: 'object',
              properties: {
                since: { type: 'string', format: 'date-time' },
                timeZone: { type: 'string' },
                people: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: {
                      contact: { type: 'string' },
                      pages: { type: 'integer' },
                      outOfHours: { type: 'integer' },
                    },
                  },
                },
              },
            },
            422: errorBody,
          },
        },
      },
      async (req, reply) => {
        if (!knownZone(req.query.timeZone))
          return reply
            .code(422)
            .send({ error: `timeZone: not an IANA time zone: ${JSON.stringify(req.query.timeZone)}` });
        const since = sinceInstant(req.query.since);
        return {
          since,
          timeZone: req.query.timeZone,
          people: await onCallLoad(db, since, req.query.timeZone),
        };
      },
    );
  };
