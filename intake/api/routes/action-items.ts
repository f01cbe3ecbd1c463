/**
 * `GET, POST /action-items` and `PATCH /action-items/{id}`: the follow-up work a review asks for. An owner is
 * a contact of the configuration (so the console can page or mail them later); the incident must be one the
 * store holds. Every change is audited under the caller's name.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { RunbooksConfig } from '../../../config';
import {
  ACTION_ITEM_STATUSES,
  createActionItem,
  listActionItems,
  recordAudit,
  updateActionItem,
  type ActionItemChange,
  type ActionItemStatus,
  type SqlClient,
} from '../../../store';
import { callerName } from '../auth';
import { errorBody, nullableText } from './schemas';

const item = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    incidentId: { type: 'string' },
    title: { type: 'string' },
    owner: nullableText,
    dueDate: { type: 'string', format: 'date', nullable: true },
    status: { type: 'string', enum: [...ACTION_ITEM_STATUSES] },
    link: nullableText,
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
} as const;
/** The fields a person writes (all optional in a PATCH). */
const fields = {
  title: { type: 'string', minLength: 1, maxLength: 500 },
  owner: { type: 'string', minLength: 1, maxLength: 100, nullable: true },
  dueDate: { type: 'string', format: 'date', nullable: true },
  status: { type: 'string', enum: [...ACTION_ITEM_STATUSES] },
  link: { type: 'string', format: 'uri', pattern: '^https?://', maxLength: 2000, nullable: true },
} as const;

export function actionItemRoutes(db: SqlClient, config: RunbooksConfig): FastifyPluginAsync {
  const unknownOwner = (owner: string | null | undefined) =>
    owner && !Object.hasOwn(config.contacts, owner)
      ? `owner: no contact ${JSON.stringify(owner)} in the configuration`
      : null;
  return async (app) => {
    app.get<{ Querystring: { incident?: string; status?: ActionItemStatus; owner?: string } }>(
      '/action-items',
      {
        schema: {
          summary: 'Action items, oldest first, by incident, status or owner',
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: {
              incident: { type: 'string', maxLength: 300 },
              status: { type: 'string', enum: [...ACTION_ITEM_STATUSES] },
              owner: { type: 'string', maxLength: 100 },
            },
          },
          response: { 200: { type: 'object', properties: { actionItems: { type: 'array', items: item } } } },
        },
      },
      async (req) => ({
        actionItems: await listActionItems(db, {
          incidentId: req.query.incident,
          status: req.query.status,
          owner: req.query.owner,
        }),
      }),
    );

    app.post<{ Body: ActionItemChange & { incidentId: string; title: string } }>(
      '/action-items',
      {
        schema: {
          summary: "A follow-up action of an incident's review",
          body: {
            type: 'object',
            additionalProperties: false,
            properties: { incidentId: { type: 'string', minLength: 1, maxLength: 300 }, ...fields },
            required: ['incidentId', 'title'],
          },
          response: { 201: item, 404: errorBody, 422: errorBody },
        },
      },
      async (req, reply) => {
        const bad = unknownOwner(req.body.owner);
        if (bad) return reply.code(422).send({ error: bad });
        const known = await db.query('SELECT 1 FROM incidents WHERE id = $1', [req.body.incidentId]);
        if (!known.rows.length)
          return reply.code(404).send({
            error: `incidentId: no incident ${JSON.stringify(req.body.incidentId)} in the store`,
          });
        const created = await createActionItem(db, req.body);
        await recordAudit(db, {
          actor: callerName(config, req.caller),
          surface: 'api',
          action: 'action-item create',
          incidentId: created.incidentId,
          answer: `action item ${created.id}: ${created.title}`,
        });
        return reply.code(201).send(created);
      },
    );

    app.patch<{ Params: { id: string }; Body: ActionItemChange }>(
      '/action-items/:id',
      {
        schema: {
          summary: 'Change an action item (its status, owner, due date, title or link)',
          params: {
            type: 'object',
            properties: { id: { type: 'string', pattern: '^[0-9]{1,18}$' } },
            required: ['id'],
          },
          body: { type: 'object', additionalProperties: false, properties: fields, minProperties: 1 },
          response: { 200: item, 404: errorBody, 422: errorBody },
        },
      },
      async (req, reply) => {
        const bad = unknownOwner(req.body.owner);
        if (bad) return reply.code(422).send({ error: bad });
        const changed = await updateActionItem(db, req.params.id, req.body);
        if (!changed) return reply.code(404).send({ error: `id: no action item ${req.params.id}` });
        await recordAudit(db, {
          actor: callerName(config, req.caller),
          surface: 'api',
          action: 'action-item change',
          incidentId: changed.incidentId,
          answer: `action item ${changed.id}: ${Object.keys(req.body).join(', ')} changed (${changed.status})`,
        });
        return changed;
      },
    );
  };
}
