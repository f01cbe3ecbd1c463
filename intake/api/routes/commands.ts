/**
 * A person's command to an incident: `POST /incidents/{id}/{action}` as the incident's Update (its validator's
 * refusal is a 409 with the reason), and `POST /incidents` to declare one. The person is the caller's (token
 * or proxy), never a field; the responder and approver rules of `intake/access.ts` apply; every answer is
 * audited. An incident that does not answer within the deadline gets a 504 that says it may be stuck.
 */
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { workflowUiLink, type RunbooksConfig } from '../../../config';
import { statusQuery } from '../../../domain/messages';
import { responderTargetOf } from '../../../domain/responders';
import { INCIDENT_ROLES, SEVERITIES, type IncidentStatusView } from '../../../domain/types';
import { recordAudit, storedWorkflowId, type SqlClient } from '../../../store';
import { mayAct } from '../../access';
import { sendCommand } from '../../commands';
import { isConfigured, rolePerson } from '../../slack-page';
import { unreachable } from '../../http';
import { workflowIdOfIncident } from '../../incident-id';
import { declareIncident } from '../../open-incident';
import { openIncidentId } from '../../merge-target';
import { callerName, type ApiCaller } from '../auth';
import { commandRefusals, errorBody } from './schemas';

export interface TemporalAccess {
  client: Client;
  /** How long a command may take before the incident counts as not answering. */
  timeoutMs: number;
  taskQueue?: string;
}

/** The API's actions and the commands they are. */
const ACTIONS = {
  acknowledge: 'acknowledge',
  resolve: 'resolve',
  escalate: 'escalate',
  note: 'addNote',
  severity: 'setSeverity',
  approve: 'approve',
  reject: 'reject',
  snooze: 'snooze',
  page: 'page',
  role: 'setRole',
  reassign: 'reassign',
  merge: 'merge',
} as const;
type Action = keyof typeof ACTIONS;

/** `page`'s target: a team, a contact or a schedule of the configuration (the incident reads its policy). */
const RESPONDER_FIELDS = {
  team: {
    type: 'string',
    maxLength: 200,
    description: 'page: the team to add; reassign: the team to move to',
  },
  person: {
    type: 'string',
    maxLength: 200,
    description: 'page: the person (contact id) to add; role: who takes it (a contact id, a name, or "me")',
  },
  schedule: { type: 'string', maxLength: 200, description: 'page: the schedule to add' },
  role: { type: 'string', enum: [...INCIDENT_ROLES], description: 'role: which one' },
};

/** Why the body names no configured target, naming the field; null when it names one. */
function responderTargetRefusal(config: RunbooksConfig, body: Record<string, unknown>): string | null {
  const target = responderTargetOf(body);
  if (typeof target === 'string') return target;
  return isConfigured(config, target)
    ? null
    : `${target.kind}: no ${target.kind} "${target.name}" is configured`;
}

const answer = {
  type: 'object',
  properties: { message: { type: 'string' }, status: { type: 'string' } },
} as const;

/** Temporal's failures as the caller should read them: not found, unreachable, or an incident not answering. */
export function temporalFailure(reply: FastifyReply, err: unknown, what: string, link: string) {
  if (err instanceof WorkflowNotFoundError) return reply.code(404).send({ error: `id: no incident ${what}` });
  if (unreachable(err) || unreachable((err as { cause?: unknown }).cause))
    return reply.code(503).send({ error: 'Temporal cannot be reached: try again' });
  return reply.code(504).send({
    error: `incident ${what} did not answer (${(err as Error).message}); its workflow may be stuck (page by hand if it pages nobody): ${link}`,
  });
}

/** Runs a call to Temporal under the API's command deadline. */
export function withinDeadline<T>(temporal: TemporalAccess, fn: () => Promise<T>): Promise<T> {
  return temporal.client.connection.withDeadline(Date.now() + temporal.timeoutMs, fn);
}

/**
 * A refused Update of a helper workflow (overrides, maintenance) as the caller should read it: the
 * validator's reason (409), the workflow not there (`notFound`), Temporal unreachable (503); anything else
 * is thrown.
 */
export function workflowUpdateFailure(
  reply: FastifyReply,
  err: unknown,
  notFound: { code: 404 | 409; error: string },
) {
  if (err instanceof WorkflowUpdateFailedError)
    return reply.code(409).send({ error: err.cause?.message ?? err.message });
  if (err instanceof WorkflowNotFoundError) return reply.code(notFound.code).send({ error: notFound.error });
  if (unreachable(err) || unreachable((err as { cause?: unknown }).cause))
    return reply.code(503).send({ error: 'Temporal cannot be reached: try again' });
  throw err;
}

export function commandRoutes(
  db: SqlClient,
  config: RunbooksConfig,
  temporal: TemporalAccess | undefined,
): FastifyPluginAsync {
  const audit = (caller: ApiCaller, action: string, incidentId: string | null, answer: string) =>
    recordAudit(db, { actor: callerName(config, caller), surface: 'api', action, incidentId, answer });
  const deadline = <T>(fn: () => Promise<T>) => withinDeadline(temporal!, fn);
  /** The open incident a merge names, by its incident id; or the answer that refuses it, naming the field. */
  const openInto = async (
    id: string,
  ): Promise<{ into: string; intoWorkflowId: string } | { code: 409 | 422; error: string }> => {
    if (!id.trim()) return { code: 422, error: 'into: the incident to merge into' };
    const stored = (await storedWorkflowId(db, id)) ?? undefined;
    const found = await openIncidentId(temporal!.client, id, deadline, stored);
    if ('refused' in found) return { code: found.closed ? 409 : 422, error: `into: ${found.refused}` };
    return { into: found.incidentId, intoWorkflowId: found.workflowId };
  };

  return async (app) => {
    app.post<{ Params: { id: string; action: Action }; Body: Record<string, string | number | undefined> }>(
      '/incidents/:id/:action',
      {
        schema: {
          summary: "A person's command to an incident, as its Update",
          params: {
            type: 'object',
            properties: {
              id: { type: 'string', minLength: 1, maxLength: 300 },
              action: { type: 'string', enum: Object.keys(ACTIONS) },
            },
            required: ['id', 'action'],
          },
          body: {
            type: 'object',
            additionalProperties: false,
            properties: {
              summary: { type: 'string', maxLength: 2000 },
              reason: { type: 'string', maxLength: 500 },
              text: { type: 'string', minLength: 1, maxLength: 4000 },
              severity: { type: 'string', enum: [...SEVERITIES] },
              step: { type: 'string', maxLength: 100 },
              minutes: { type: 'integer', minimum: 1, maximum: 1440, description: 'snooze: for how long' },
              ...RESPONDER_FIELDS,
              into: { type: 'string', maxLength: 300, description: 'merge: the open incident to merge into' },
              proposal: {
                type: 'string',
                maxLength: 40,
                description: 'approve/reject: when the step was proposed (pendingApprovals[].requestedAt)',
              },
            },
          },
          response: {
            200: answer,
            ...commandRefusals,
          },
        },
      },
      async (req, reply) => {
        if (!temporal) return reply.code(503).send({ error: 'this API is not connected to Temporal' });
        const { id, action } = req.params;
        const body = req.body ?? {};
        if (action === 'note' && !body.text)
          return reply.code(422).send({ error: 'text: required for a note' });
        if (action === 'severity' && !body.severity)
          return reply.code(422).send({ error: 'severity: required (P1, P2 or P3)' });
        if ((action === 'approve' || action === 'reject') && !body.step)
          return reply.code(422).send({ error: `step: required to ${action}` });
        if (action === 'snooze' && body.minutes === undefined)
          return reply.code(422).send({ error: 'minutes: required to snooze (1 to 1440)' });
        const unknownTarget =
          action === 'page'
            ? responderTargetRefusal(config, body)
            : action === 'reassign'
              ? responderTargetRefusal(config, { team: body.team ?? '' })
              : null;
        if (unknownTarget) return reply.code(422).send({ error: unknownTarget });
        if (action === 'role' && (!body.role || !String(body.person ?? '').trim()))
          return reply.code(422).send({
            error: body.role ? 'person: who takes the role' : `role: one of ${INCIDENT_ROLES.join(', ')}`,
          });
        // The store knows the incident by its id. One it does not hold (engine revision 3 records no incident
        // rows) is named by its incident id, which holds its workflow id, or by the workflow id itself.
        const workflowId = (await storedWorkflowId(db, id)) ?? workflowIdOfIncident(id);
        const handle = temporal.client.workflow.getHandle(workflowId);
        const link = workflowUiLink(config, temporal.client.options.namespace, workflowId);
        let view: IncidentStatusView | undefined;
        try {
          view = await deadline(() => handle.query(statusQuery));
          const caller = req.caller;
          const by = callerName(config, caller);
          if (caller.contactId !== null) {
            const access = mayAct(config, { channel: 'api', userId: caller.contactId }, action, {
              service: view.service,
              step: typeof body.step === 'string' ? body.step : undefined,
            });
            if (!access.allowed) {
              await audit(caller, action, view.incidentId, `refused: ${access.reason}`);
              return reply.code(403).send({ error: access.reason });
            }
          }
          if (action === 'merge') {
            const into = await openInto(String(body.into ?? ''));
            if ('error' in into) {
              await audit(caller, action, view.incidentId, `refused: ${into.error}`);
              return reply.code(into.code).send({ error: into.error });
            }
            Object.assign(body, into);
          }
          const incident = view.incidentId;
          const args: Record<string, unknown> = { ...body, by, incident };
          if (action === 'role') args.person = rolePerson(config, String(body.person), by);
          const outcome = await deadline(() => sendCommand(handle, ACTIONS[action], args));
          await audit(
            caller,
            action,
            view.incidentId,
            outcome.accepted ? outcome.message : `refused: ${outcome.reason}`,
          );
          if (!outcome.accepted) return reply.code(409).send({ error: outcome.reason });
          return { message: outcome.message, status: outcome.status };
        } catch (err) {
          // It answered its query, then refused the Update as not found: its run has ended.
          if (view && err instanceof WorkflowNotFoundError) {
            const closed = `incident ${view.incidentId} is closed (${view.status})`;
            await audit(req.caller, action, view.incidentId, `refused: ${closed}`);
            return reply.code(409).send({ error: closed });
          }
          return temporalFailure(reply, err, JSON.stringify(id), link);
        }
      },
    );

    app.post<{ Body: { service: string; severity: (typeof SEVERITIES)[number]; summary: string } }>(
      '/incidents',
      {
        schema: {
          summary: 'Declare an incident (no alert needed)',
          body: {
            type: 'object',
            additionalProperties: false,
            properties: {
              service: { type: 'string', maxLength: 200, pattern: '^[A-Za-z0-9][\\w.:/-]*$' },
              severity: { type: 'string', enum: [...SEVERITIES] },
              summary: { type: 'string', minLength: 1, maxLength: 2000 },
            },
            required: ['service', 'severity', 'summary'],
          },
          response: {
            201: { type: 'object', properties: { workflowId: { type: 'string' } } },
            403: errorBody,
            422: errorBody,
            503: errorBody,
          },
        },
      },
      async (req, reply) => {
        if (!temporal) return reply.code(503).send({ error: 'this API is not connected to Temporal' });
        const caller = req.caller;
        if (caller.contactId !== null) {
          const access = mayAct(config, { channel: 'api', userId: caller.contactId }, 'declare', {
            service: req.body.service,
          });
          if (!access.allowed) return reply.code(403).send({ error: access.reason });
        }
        try {
          const opened = await deadline(() =>
            declareIncident(
              temporal.client,
              { ...req.body, by: callerName(config, caller) },
              { taskQueue: temporal.taskQueue },
            ),
          );
          await audit(caller, 'declare', null, `declared ${opened.workflowId}`);
          return reply.code(201).send({ workflowId: opened.workflowId });
        } catch (err) {
          if (unreachable(err))
            return reply.code(503).send({ error: 'Temporal cannot be reached: try again' });
          throw err;
        }
      },
    );
  };
}
