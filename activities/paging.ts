import axios from 'axios';
import { dashboardFor, type RunbooksConfig } from '../config';
import { activityAbortSignal } from './cancellation';
import type { DeliveryResult, PageContactsArgs, PagingUpdateArgs } from './contract';
import type { Journal } from './journal';
import { ownValue } from '../domain/policy';
import { failureForStatus } from './retry';
import { readSecret, type Env } from './secrets';
import { plainText } from '../domain/text';
import { activityLogger } from './log';
import { pageAttempts } from './metrics';
import { productionMode, whyUnpageable } from './reachability';

const PD_SEVERITY = { P1: 'critical', P2: 'error', P3: 'warning' } as const;

type PagerDutyEvent =
  | {
      event_action: 'trigger';
      dedup_key: string;
      payload: {
        summary: string;
        source: string;
        severity: string;
        component: string;
        custom_details: Record<string, string>;
      };
      links?: { href: string; text: string }[];
    }
  | { event_action: 'acknowledge' | 'resolve'; dedup_key: string };

/** A page (a trigger, to one contact) by its result; acknowledgements and resolutions are not pages. */
function countPage(event: PagerDutyEvent, result: string): void {
  if (event.event_action === 'trigger') pageAttempts.inc({ channel: 'pagerduty', result });
}

/** PagerDuty Events API v2: one routing key per contact (from the environment), one dedup key per page. */
export function createPagingActivities(config: RunbooksConfig, env: Env, journal: Journal) {
  async function send(incidentId: string, contactId: string, event: PagerDutyEvent): Promise<DeliveryResult> {
    const contact = ownValue(config.contacts, contactId);
    const routingKey = readSecret(env, contact?.pagerdutyRoutingKeyEnv);
    const who = contact?.name ?? contactId;
    if (!routingKey) {
      // In production a page nobody receives is not delivered: the ladder goes on and metrics count it.
      if (productionMode(env)) {
        countPage(event, 'unreachable');
        return { delivered: false, detail: `not paged: ${whyUnpageable(config, env, contactId)}` };
      }
      countPage(event, 'logged');
      await journal.write({
        kind: `pagerduty.${event.event_action}`,
        incidentId,
        dedupKey: event.dedup_key,
        contact: who,
        ...('payload' in event ? { summary: event.payload.summary } : {}),
      });
      return { delivered: true, detail: `${who}: logged (no PagerDuty routing key configured)` };
    }
    let response;
    try {
      response = await axios.post(
        config.pagerduty.eventsUrl,
        { routing_key: routingKey, ...event },
        { timeout: 10_000, validateStatus: () => true, signal: activityAbortSignal() },
      );
    } catch (err) {
      countPage(event, 'error');
      // Never rethrow the axios error: its config holds the routing key.
      throw failureForStatus(`PagerDuty (${(err as { code?: string }).code ?? 'network error'})`, 503);
    }
    if (response.status === 202 || response.status === 200) {
      countPage(event, 'delivered');
      return { delivered: true, detail: `${who}: PagerDuty accepted` };
    }
    countPage(event, response.status === 400 ? 'rejected' : 'error');
    if (response.status === 400) {
      const errors = (response.data as { errors?: unknown })?.errors;
      // A malformed event will never succeed: record it and let the incident carry on.
      return {
        delivered: false,
        detail: `${who}: PagerDuty rejected the event (400${Array.isArray(errors) ? `: ${errors.map(String).join('; ').slice(0, 300)}` : ''})`,
      };
    }
    throw failureForStatus(
      'PagerDuty',
      response.status,
      response.headers['retry-after'] as string | undefined,
    );
  }

  async function pageOnCall(args: PageContactsArgs): Promise<DeliveryResult> {
    const results: DeliveryResult[] = [];
    const dashboard = dashboardFor(config, args.service);
    for (const contactId of args.contactIds)
      results.push(
        await send(args.incidentId, contactId, {
          event_action: 'trigger',
          dedup_key: args.dedupKey ?? args.incidentId,
          payload: {
            // A phone or push notification shows this: printable text only, within PagerDuty's 1024.
            summary: plainText(`[${args.severity}] ${args.service}: ${args.summary}`, 1024),
            source: plainText(args.service, 200),
            severity: PD_SEVERITY[args.severity],
            component: plainText(args.service, 200),
            custom_details: {
              incident: args.incidentId,
              workflowId: args.workflowId,
              level: args.levelName,
              reason: args.reason,
            },
          },
          // PagerDuty shows links on the alert: the responder opens the service's dashboard from the page.
          ...(dashboard
            ? { links: [{ href: dashboard, text: `${plainText(args.service, 100)} dashboard` }] }
            : {}),
        }),
      );
    const paged = {
      delivered: results.every((r) => r.delivered),
      detail: results.map((r) => r.detail).join('; '),
    };
    // The line that answers "why was nobody paged?": who, on which level, and what each delivery said.
    activityLogger(args.incidentId)[paged.delivered ? 'info' : 'warn'](
      {
        service: args.service,
        severity: args.severity,
        escalationLevel: args.levelName, // not `level`: that is the line's own
        contacts: args.contactIds,
        delivered: paged.delivered,
        detail: paged.detail,
      },
      paged.delivered ? 'paged' : 'page not delivered',
    );
    return paged;
  }

  async function sendPagingUpdate(args: PagingUpdateArgs): Promise<DeliveryResult> {
    const results: DeliveryResult[] = [];
    const alerts =
      args.alerts ?? args.contactIds.map((contactId) => ({ contactId, dedupKey: args.incidentId }));
    for (const { contactId, dedupKey } of alerts)
      results.push(
        await send(args.incidentId, contactId, { event_action: args.action, dedup_key: dedupKey }),
      );
    return { delivered: results.every((r) => r.delivered), detail: results.map((r) => r.detail).join('; ') };
  }

  return { pageOnCall, sendPagingUpdate };
}
