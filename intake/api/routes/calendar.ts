/**
 * The on-call calendar for the console: `GET /oncall` (every schedule: who now, who next), `GET
 * /oncall/{schedule}/calendar` (the shifts of the coming days, layers and overrides), and overrides added and
 * removed (`POST`, `DELETE /oncall/{schedule}/overrides…`) through the schedule's workflow, as the CLI does.
 * The workflow's validator refuses an overlap or a past window: a 409 with its reason. Changes are audited.
 */
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { addOverride, readOverrides, removeOverride } from '../../../activities/oncall';
import type { RunbooksConfig } from '../../../config';
import { shiftsAhead, type StoredOverride } from '../../../domain/oncall';
import { ownValue } from '../../../domain/policy';
import { recordAudit, type SqlClient } from '../../../store';
import { TASK_QUEUE } from '../../open-incident';
import { callerName } from '../auth';
import { withinDeadline, workflowUpdateFailure, type TemporalAccess } from './commands';
import { errorBody } from './schemas';

const scheduleParam = { schedule: { type: 'string', minLength: 1, maxLength: 100 } } as const;
const overrideShape = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    contactId: { type: 'string' },
    name: { type: 'string', nullable: true },
    from: { type: 'string', format: 'date-time' },
    to: { type: 'string', format: 'date-time' },
    by: { type: 'string' },
    reason: { type: 'string', nullable: true },
  },
} as const;

export function calendarRoutes(
  db: SqlClient,
  config: RunbooksConfig,
  temporal: TemporalAccess | undefined,
): FastifyPluginAsync {
  const nameOf = (contactId: string) => ownValue(config.contacts, contactId)?.name ?? null;
  const overrideView = (o: StoredOverride) => ({
    id: o.id,
    contactId: o.contactId,
    name: nameOf(o.contactId),
    from: new Date(o.from).toISOString(),
    to: new Date(o.to).toISOString(),
    by: o.by,
    reason: o.reason ?? null,
  });
  const withDeadline = <T>(fn: () => Promise<T>) => withinDeadline(temporal!, fn);
  const failure = (reply: FastifyReply, err: unknown) =>
    workflowUpdateFailure(reply, err, { code: 404, error: 'id: no such override' });

  return async (app) => {
    const scheduleOf = (name: string, reply: FastifyReply) => {
      const schedule = ownValue(config.schedules, name);
      if (!schedule)
        void reply.code(404).send({
          error: `schedule: no schedule ${JSON.stringify(name)} (schedules: ${Object.keys(config.schedules).join(', ') || 'none'})`,
        });
      else if (!temporal) void reply.code(503).send({ error: 'this API is not connected to Temporal' });
      return schedule && temporal ? { name, ...schedule } : undefined;
    };

    app.get(
      '/oncall',
      { schema: { summary: 'Every schedule, its time zone and layers; the contacts who may hold a pager' } },
      async () => ({
        schedules: Object.entries(config.schedules).map(([name, s]) => ({
          schedule: name,
          timeZone: s.timeZone,
          layers: s.layers.map((l) => l.name),
        })),
        contacts: Object.entries(config.contacts).map(([id, c]) => ({ id, name: c.name })),
      }),
    );

    app.get<{ Params: { schedule: string }; Querystring: { days: number } }>(
      '/oncall/:schedule/calendar',
      {
        schema: {
          summary: 'Who holds the pager over the coming days (two weeks by default): shifts and overrides',
          params: { type: 'object', properties: scheduleParam, required: ['schedule'] },
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: { days: { type: 'integer', minimum: 1, maximum: 62, default: 14 } },
          },
          response: { 404: errorBody, 503: errorBody },
        },
      },
      async (req, reply) => {
        const schedule = scheduleOf(req.params.schedule, reply);
        if (!schedule) return reply;
        let overrides: StoredOverride[];
        try {
          overrides = await withDeadline(() => readOverrides(temporal!.client, schedule.name));
        } catch (err) {
          return failure(reply, err);
        }
        const now = Date.now();
        // From yesterday's UTC midnight: the viewer's "today" begins there or later, whatever their zone.
        const from = now - (now % 86_400_000) - 86_400_000;
        const until = from + (req.query.days + 2) * 86_400_000;
        return {
          schedule: schedule.name,
          timeZone: schedule.timeZone,
          layers: schedule.layers.map((l) => l.name),
          from: new Date(from).toISOString(),
          until: new Date(until).toISOString(),
          shifts: shiftsAhead(schedule, overrides, from, until).map((r) => ({
            from: new Date(r.from).toISOString(),
            to: new Date(r.to).toISOString(),
            contactId: r.onCall?.contactId ?? null,
            name: r.onCall ? nameOf(r.onCall.contactId) : null,
            layer: r.onCall?.layer ?? null,
          })),
          overrides: overrides.filter((o) => o.to > now).map(overrideView),
        };
      },
    );

    app.post<{
      Params: { schedule: string };
      Body: { contactId: string; from: string; to: string; reason?: string };
    }>(
      '/oncall/:schedule/overrides',
      {
        schema: {
          summary: 'Someone takes the pager for a while (wins over every layer)',
          params: { type: 'object', properties: scheduleParam, required: ['schedule'] },
          body: {
            type: 'object',
            additionalProperties: false,
            required: ['contactId', 'from', 'to'],
            properties: {
              contactId: { type: 'string', minLength: 1, maxLength: 100 },
              from: { type: 'string', format: 'date-time' },
              to: { type: 'string', format: 'date-time' },
              reason: { type: 'string', maxLength: 500 },
            },
          },
          response: { 201: overrideShape, 404: errorBody, 409: errorBody, 422: errorBody, 503: errorBody },
        },
      },
      async (req, reply) => {
        const schedule = scheduleOf(req.params.schedule, reply);
        if (!schedule) return reply;
        const { contactId, from, to, reason } = req.body;
        if (!ownValue(config.contacts, contactId))
          return reply.code(422).send({ error: `contactId: no contact ${JSON.stringify(contactId)}` });
        const by = callerName(config, req.caller);
        try {
          const added = await withDeadline(() =>
            addOverride(temporal!.client, temporal!.taskQueue ?? TASK_QUEUE, schedule.name, {
              contactId,
              from: Date.parse(from),
              to: Date.parse(to),
              by,
              ...(reason ? { reason } : {}),
            }),
          );
          await recordAudit(db, {
            actor: by,
            surface: 'api',
            action: 'add override',
            incidentId: null,
            answer: `override ${added.id} on ${schedule.name}: ${contactId} ${from} – ${to}`,
          });
          return reply.code(201).send(overrideView(added));
        } catch (err) {
          return failure(reply, err);
        }
      },
    );

    app.delete<{ Params: { schedule: string; id: string } }>(
      '/oncall/:schedule/overrides/:id',
      {
        schema: {
          summary: 'Remove an override',
          params: {
            type: 'object',
            properties: { ...scheduleParam, id: { type: 'string', minLength: 1, maxLength: 100 } },
            required: ['schedule', 'id'],
          },
          response: { 404: errorBody, 409: errorBody, 503: errorBody },
        },
      },
      async (req, reply) => {
        const schedule = scheduleOf(req.params.schedule, reply);
        if (!schedule) return reply;
        const by = callerName(config, req.caller);
        try {
          const left = await withDeadline(() =>
            removeOverride(temporal!.client, schedule.name, req.params.id, by),
          );
          await recordAudit(db, {
            actor: by,
            surface: 'api',
            action: 'remove override',
            incidentId: null,
            answer: `override ${req.params.id} removed from ${schedule.name}`,
          });
          return { removed: req.params.id, left: left.map(overrideView) };
        } catch (err) {
          return failure(reply, err);
        }
      },
    );
  };
}
