/**
 * `GET /incidents/{id}/live`: what the incident's workflow holds now and the record does not: its source
 * alerts (labels, links), who was paged at which level, the next escalation, the runbook's pending approvals,
 * and where to find it in the Temporal UI and in Slack. Read with the status query, under the command deadline.
 */
import type { FastifyPluginAsync } from 'fastify';
import { workflowUiLink, type RunbooksConfig } from '../../../config';
import { statusQuery } from '../../../domain/messages';
import { storedWorkflowId, type SqlClient } from '../../../store';
import { workflowIdOfIncident } from '../../incident-id';
import { temporalFailure, withinDeadline, type TemporalAccess } from './commands';
import { errorBody } from './schemas';

export const liveRoutes =
  (db: SqlClient, config: RunbooksConfig, temporal: TemporalAccess | undefined): FastifyPluginAsync =>
  async (app) => {
    app.get<{ Params: { id: string } }>(
      '/incidents/:id/live',
      {
        schema: {
          summary: "The incident's workflow now: alerts, pages, next escalation, pending approvals",
          params: {
            type: 'object',
            properties: { id: { type: 'string', minLength: 1, maxLength: 300 } },
            required: ['id'],
          },
          response: { 404: errorBody, 503: errorBody, 504: errorBody },
        },
      },
      async (req, reply) => {
        if (!temporal) return reply.code(503).send({ error: 'this API is not connected to Temporal' });
        const workflowId = (await storedWorkflowId(db, req.params.id)) ?? workflowIdOfIncident(req.params.id);
        const link = workflowUiLink(config, temporal.client.options.namespace, workflowId);
        try {
          const view = await withinDeadline(temporal, () =>
            temporal.client.workflow.getHandle(workflowId).query(statusQuery),
          );
          return {
            temporalUi: link,
            status: view.status,
            severity: view.severity,
            escalationLevel: view.escalationLevel,
            nextEscalationAt: view.nextEscalationAt,
            ladderExhausted: view.ladderExhausted ?? null,
            nextStatusUpdateAt: view.nextStatusUpdateAt,
            paged: view.paged,
            alerts: view.alerts,
            pendingApprovals: view.pendingApprovals,
            slackThread: view.slackThread ?? null,
            ackExpiresAt: view.ackExpiresAt ?? null,
            responders: view.responders ?? [],
            roles: view.roles ?? {},
          };
        } catch (err) {
          return temporalFailure(reply, err, JSON.stringify(req.params.id), link);
        }
      },
    );
  };
