/** `GET /oncall/{schedule}`: who holds the pager now and who is next, overrides included. */
import type { FastifyPluginAsync } from 'fastify';
import { readOverrides } from '../../../activities/oncall';
import type { RunbooksConfig } from '../../../config';
import { ownValue } from '../../../domain/policy';
import { shiftsAhead, type OnCall } from '../../../domain/oncall';
import { withinDeadline, type TemporalAccess } from './commands';
import { errorBody } from './schemas';

const shift = {
  type: 'object',
  nullable: true,
  properties: {
    contactId: { type: 'string', nullable: true },
    name: { type: 'string', nullable: true },
    layer: { type: 'string', nullable: true },
    from: { type: 'string', format: 'date-time' },
    until: { type: 'string', format: 'date-time', nullable: true },
  },
} as const;
/** How far ahead "next" is looked for. */
const LOOK_AHEAD_MS = 30 * 86_400_000;

export function onCallRoutes(
  config: RunbooksConfig,
  temporal: TemporalAccess | undefined,
): FastifyPluginAsync {
  return async (app) => {
    app.get<{ Params: { schedule: string } }>(
      '/oncall/:schedule',
      {
        schema: {
          summary: 'Who is on call now and next (overrides included)',
          params: {
            type: 'object',
            properties: { schedule: { type: 'string', minLength: 1, maxLength: 100 } },
            required: ['schedule'],
          },
          response: {
            200: { type: 'object', properties: { schedule: { type: 'string' }, now: shift, next: shift } },
            404: errorBody,
            503: errorBody,
          },
        },
      },
      async (req, reply) => {
        const schedule = ownValue(config.schedules, req.params.schedule);
        if (!schedule)
          return reply.code(404).send({
            error: `schedule: no schedule ${JSON.stringify(req.params.schedule)} (schedules: ${Object.keys(config.schedules).join(', ') || 'none'})`,
          });
        if (!temporal) return reply.code(503).send({ error: 'this API is not connected to Temporal' });
        let overrides;
        try {
          overrides = await withinDeadline(temporal, () =>
            readOverrides(temporal.client, req.params.schedule),
          );
        } catch (err) {
          return reply
            .code(503)
            .send({ error: `the schedule's overrides could not be read: ${(err as Error).message}` });
        }
        const now = Date.now();
        const rows = shiftsAhead(
          { name: req.params.schedule, ...schedule },
          overrides,
          now,
          now + LOOK_AHEAD_MS,
        );
        const view = (row: { from: number; to: number; onCall: OnCall | null } | undefined) =>
          row && {
            contactId: row.onCall?.contactId ?? null,
            name: row.onCall ? (ownValue(config.contacts, row.onCall.contactId)?.name ?? null) : null,
            layer: row.onCall?.layer ?? null,
            from: new Date(row.from).toISOString(),
            until: row.to >= now + LOOK_AHEAD_MS ? null : new Date(row.to).toISOString(),
          };
        return { schedule: req.params.schedule, now: view(rows[0]), next: view(rows[1]) ?? null };
      },
    );
  };
}
