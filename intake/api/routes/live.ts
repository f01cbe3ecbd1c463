/**
 * `GET /incidents/{id}/live`: what the incident's workflow holds now and the record does not: its source
 * alerts (labels, links), who was paged at which level, the next escalation, the runbook's pending approvals,
 * and where to find it in the Temporal UI, in Slack and in PagerDuty (each page's incident there, when a REST API
 * token is configured). Read with the status query, under the command deadline.
 */
import type { FastifyPluginAsync } from 'fastify';
import { pagerDutyIncidents, type PagerDutyIncidentLink } from '../../../activities/pagerduty-incidents';
import type { Env } from '../../../activities/secrets';
import { workflowUiLink, type RunbooksConfig } from '../../../config';
import { statusQuery } from '../../../domain/messages';
import type { IncidentStatusView } from '../../../domain/types';
import { storedWorkflowId, type SqlClient } from '../../../store';
import { workflowIdOfIncident } from '../../incident-id';
import { temporalFailure, withinDeadline, type TemporalAccess } from './commands';
import { errorBody } from './schemas';

export const liveRoutes =
  (
    db: SqlClient,
    config: RunbooksConfig,
    temporal: TemporalAccess | undefined,
    env: Env = process.env,
  ): FastifyPluginAsync =>
  async (app) => {
    const pagerDuty = pagerDutyLinks(config, env);
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
            pagerduty: await pagerDuty(view),
            ackExpiresAt: view.ackExpiresAt ?? null,
            responders: view.responders ?? [],
            roles: view.roles ?? {},
            followUps: view.followUps ?? [],
          };
        } catch (err) {
          return temporalFailure(reply, err, JSON.stringify(req.params.id), link);
        }
      },
    );
  };

/** A found incident is remembered 10 minutes (its link never changes), a miss 10 s (PagerDuty may be behind). */
const FOUND_MS = 600_000;
const MISSED_MS = 10_000;

/**
 * The PagerDuty incidents of the incident's delivered pages (the newest 5), labelled with whom they paged;
 * empty without a REST API token. Remembered, since the console asks again on every change of the record.
 */
function pagerDutyLinks(config: RunbooksConfig, env: Env) {
  const known = new Map<string, { at: number; link: PagerDutyIncidentLink | null }>();
  return async (view: IncidentStatusView): Promise<Array<PagerDutyIncidentLink & { to: string }>> => {
    const pages = view.paged.filter((p) => p.channel === 'page' && p.delivered && p.dedupKey).slice(-5);
    const now = Date.now();
    const fresh = (key: string) => {
      const k = known.get(key);
      return !!k && now - k.at < (k.link ? FOUND_MS : MISSED_MS);
    };
    const ask = [...new Set(pages.map((p) => p.dedupKey!))].filter((key) => !fresh(key));
    if (ask.length) {
      const { restUrl, apiTokenEnv } = config.pagerduty;
      const found = await pagerDutyIncidents({ restUrl, apiTokenEnv, env, timeoutMs: 3000 }, ask);
      if (!found) return [];
      if (known.size > 10_000) known.clear();
      for (const key of ask)
        if (!found.failures.some((f) => f.startsWith(`${key}:`)))
          known.set(key, { at: now, link: found.links.find((l) => l.dedupKey === key) ?? null });
    }
    return pages.flatMap((p) => {
      const link = known.get(p.dedupKey!)?.link;
      return link ? [{ ...link, to: `${p.levelName}: ${p.contacts.join(', ')}` }] : [];
    });
  };
}
