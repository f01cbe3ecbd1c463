/** `GET /incidents` (newest first, filtered, a page at a time) and `GET /incidents/{id}` (with its record). */
import type { FastifyPluginAsync } from 'fastify';
import {
  BadCursor,
  incidentDetail,
  listIncidents,
  type IncidentFilter,
  type SqlClient,
} from '../../../store';
import { INCIDENT_ROLES, INCIDENT_STATUSES, SEVERITIES } from '../../../domain/types';
import { httpError } from '../../http';
import { sinceInstant } from './since';
import { errorBody, nullableText, nullableTime } from './schemas';

const incidentSummary = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    service: { type: 'string' },
    team: {
      ...nullableText,
      description: 'the team whose escalation policy it follows (services.<name>.team)',
    },
    severity: { type: 'string' },
    status: { type: 'string' },
    summary: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
  },
} as const;

const incidentListRow = {
  type: 'object',
  properties: {
    ...incidentSummary.properties,
    acknowledgedAt: nullableTime,
    acknowledgedBy: nullableText,
    paged: { type: 'array', items: { type: 'string' }, description: 'everyone paged, first paged first' },
  },
} as const;

const incidentRecord = {
  type: 'object',
  properties: {
    ...incidentSummary.properties,
    workflowId: { type: 'string' },
    scenario: { type: 'string' },
    acknowledgedAt: nullableTime,
    acknowledgedBy: nullableText,
    resolvedAt: nullableTime,
    resolvedBy: nullableText,
    updatedAt: { type: 'string', format: 'date-time' },
    roles: {
      type: ['object', 'null'],
      description: 'who holds the incident roles (commander, communications, scribe), when named',
      properties: Object.fromEntries(INCIDENT_ROLES.map((r) => [r, { type: 'string' }])),
    },
    timeline: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          at: { type: 'string', format: 'date-time' },
          type: { type: 'string' },
          message: { type: 'string' },
          actor: { type: 'string' },
        },
      },
    },
    notifications: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          key: { type: 'string' },
          at: { type: 'string', format: 'date-time' },
          channel: { type: 'string', enum: ['page', 'slack', 'email', 'status-page'] },
          levelName: nullableText,
          contacts: { type: 'array', items: { type: 'string' } },
          reason: nullableText,
          delivered: { type: 'boolean' },
          detail: nullableText,
        },
      },
    },
  },
} as const;

export const incidentRoutes =
  (db: SqlClient): FastifyPluginAsync =>
  async (app) => {
    app.get<{ Querystring: Omit<IncidentFilter, 'since'> & { since?: string } }>(
      '/incidents',
      {
        schema: {
          summary: 'Incidents, newest first',
          description:
            'Filtered by status, service, team, severity and age; `nextCursor` fetches the next page.',
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: {
              status: { type: 'string', enum: INCIDENT_STATUSES },
              service: { type: 'string', minLength: 1, maxLength: 200 },
              team: { type: 'string', minLength: 1, maxLength: 200 },
              severity: { type: 'string', enum: SEVERITIES },
              since: { type: 'string', description: 'a duration back from now (30d, 12h) or an ISO time' },
              limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
              cursor: { type: 'string', maxLength: 500 },
            },
          },
          response: {
            200: {
              type: 'object',
              properties: { incidents: { type: 'array', items: incidentListRow }, nextCursor: nullableText },
            },
            422: errorBody,
          },
        },
      },
      async (req) => {
        const { since, ...rest } = req.query;
        try {
          return await listIncidents(db, { ...rest, ...(since ? { since: sinceInstant(since) } : {}) });
        } catch (err) {
          if (err instanceof BadCursor) throw httpError(422, err.message);
          throw err;
        }
      },
    );

    app.get<{ Params: { id: string } }>(
      '/incidents/:id',
      {
        schema: {
          summary: 'One incident with its whole timeline and every notification',
          params: {
            type: 'object',
            properties: { id: { type: 'string', minLength: 1, maxLength: 300 } },
            required: ['id'],
          },
          response: { 200: incidentRecord, 404: errorBody },
        },
      },
      async (req, reply) => {
        const found = await incidentDetail(db, req.params.id);
        if (!found)
          return reply
            .code(404)
            .send({ error: `id: no incident ${JSON.stringify(req.params.id)} in the store` });
        return found;
      },
    );
  };
