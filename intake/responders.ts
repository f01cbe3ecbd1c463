/** Verifying and decoding what responders send from Slack (button clicks) and PagerDuty (v3 webhooks). */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { SLACK_ACTIONS, decodeButtonValue, type SlackActionId } from '../activities/slack-buttons';
import { SLACK_MEMBER_ID } from '../config/schema';
import type { ResponderIdentity } from './access';

export const SLACK_SIGNATURE_WINDOW_S = 300;

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Slack's v0 request signature over `v0:<timestamp>:<raw body>`, within a 5-minute window. */
export function verifySlackSignature(
  secret: string,
  rawBody: string,
  timestamp: string | undefined,
  signature: string | undefined,
  nowMs = Date.now(),
): string | null {
  if (!timestamp || !signature) return 'missing Slack signature headers';
  const ts = Number(timestamp);
  if (!Number.isInteger(ts)) return 'bad X-Slack-Request-Timestamp';
  if (Math.abs(nowMs / 1000 - ts) > SLACK_SIGNATURE_WINDOW_S)
    return 'stale Slack request (outside the 5-minute window)';
  const expected = `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`;
  return safeEqual(expected, signature) ? null : 'bad Slack signature';
}

export interface ResponderSignal {
  workflowId: string;
  signal: 'acknowledge' | 'resolve' | 'approve' | 'reject' | 'page' | 'setRole' | 'reassign' | 'merge';
  /** Who sent it, as the channel identifies them; `args.by` is filled once access is decided. */
  who: ResponderIdentity;
  /**
   * `incident`: the incident the button or page was about; the workflow refuses it for another one.
   * `proposal`: the approval request an Approve/Reject button answers; refused once the step is proposed anew.
   */
  args: {
    step?: string;
    summary?: string;
    incident?: string;
    proposal?: string;
    /** `setRole`'s role and person (revision 7). */
    role?: string;
    /** `page`'s target (revision 7); `person` is also `setRole`'s. */
    team?: string;
    person?: string;
    schedule?: string;
    /** `merge`'s open incident to go into, and its workflow (revision 8). */
    into?: string;
    intoWorkflowId?: string;
  };
}

/** A block_actions payload → the signal it asks for, attributed to the Slack user. */
export function slackClickToSignal(payload: unknown): ResponderSignal | string {
  const p = payload as {
    type?: string;
    user?: { id?: string; username?: string; name?: string };
    actions?: { action_id?: string; value?: string }[];
  };
  if (p?.type !== 'block_actions') return 'not a block_actions payload';
  const action = p.actions?.[0];
  const signal = action?.action_id && SLACK_ACTIONS[action.action_id as SlackActionId];
  if (!signal) return `unknown action ${JSON.stringify(action?.action_id ?? null)}`;
  const value = decodeButtonValue(action.value);
  if (!value) return 'button value does not name an incident';
  // Without its incident a button would act on whichever run of its alert group is open now.
  if (!value.incidentId)
    return "button value does not name its incident (a message from an older release): use the incident's newest message, or the CLI";
  // The member id decides who it is; the name is only shown.
  const userId = p.user?.id;
  if (typeof userId !== 'string' || !SLACK_MEMBER_ID.test(userId)) return 'user.id: not a Slack member id';
  const name = p.user?.username ?? p.user?.name;
  if ((signal === 'approve' || signal === 'reject') && !value.step) return 'button value has no step';
  return {
    workflowId: value.workflowId,
    signal,
    who: { channel: 'slack', userId, ...(typeof name === 'string' ? { name } : {}) },
    args: {
      ...(value.step ? { step: value.step } : {}),
      incident: value.incidentId,
      ...(value.proposal ? { proposal: value.proposal } : {}),
    },
  };
}

/** PagerDuty v3 webhook signature: `v1=<hex HMAC-SHA256 of the raw body>`, possibly several, comma-separated. */
export function verifyPagerDutySignature(
  secret: string,
  rawBody: string,
  header: string | undefined,
): string | null {
  if (!header) return 'missing X-PagerDuty-Signature';
  const expected = `v1=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
  return header.split(',').some((s) => safeEqual(s.trim(), expected)) ? null : 'bad PagerDuty signature';
}

/** incident.acknowledged / incident.resolved for one of our dedup keys → the matching signal. */
/** How far ahead of this clock a PagerDuty event's `occurred_at` may be: clocks differ, not by more. */
export const PAGERDUTY_CLOCK_SKEW_MS = 60_000;

/**
 * Why a PagerDuty v3 event must not be applied: older than `maxAgeMs` by its `occurred_at` (its signature
 * has no timestamp), dated in the future (which would outlive the window of ids remembered against replays),
 * or without the id and time that make replays detectable. Null when it may be.
 */
export function pagerDutyEventAge(body: unknown, now: number, maxAgeMs: number): string | null {
  const event = (body as { event?: { id?: unknown; occurred_at?: unknown } } | null)?.event;
  if (typeof event?.id !== 'string' || !event.id) return 'event.id: missing';
  const at = typeof event.occurred_at === 'string' ? Date.parse(event.occurred_at) : NaN;
  if (Number.isNaN(at)) return 'event.occurred_at: missing or not a time';
  if (now - at > maxAgeMs)
    return `event.occurred_at: ${event.occurred_at} is older than ${maxAgeMs / 1000} s (stale or replayed)`;
  if (at - now > PAGERDUTY_CLOCK_SKEW_MS)
    return `event.occurred_at: ${event.occurred_at} is in the future (more than ${PAGERDUTY_CLOCK_SKEW_MS / 1000} s ahead)`;
  return null;
}

export function pagerDutyEventToSignal(body: unknown): ResponderSignal | string {
  const event = (
    body as {
      event?: {
        event_type?: string;
        agent?: { summary?: string; id?: string } | null;
        data?: { incident_key?: string; id?: string };
      };
    }
  )?.event;
  const type = event?.event_type;
  const signal =
    type === 'incident.acknowledged' ? 'acknowledge' : type === 'incident.resolved' ? 'resolve' : undefined;
  if (!signal) return `ignored event type ${JSON.stringify(type ?? null)}`;
  const key = event?.data?.incident_key ?? '';
  // Our dedup keys: the incident id (the workflow id and its first run's), then the page's own `/page-N`.
  // A key without the run would act on whichever run of the alert group is open now: refused.
  const match = /^((incident-[0-9a-f]{20})-[0-9a-f]{8})(?:\/page-\d{1,6})?$/.exec(key);
  if (!match)
    return /^incident-[0-9a-f]{20}(?:\/page-\d{1,6})?$/.test(key)
      ? "incident_key does not name the incident's run (a page from an older release): acknowledge it in Slack or the CLI"
      : 'not one of our incidents (incident_key is not a Durable Runbooks id)';
  const agent = event?.agent;
  return {
    workflowId: match[2],
    signal,
    who: {
      channel: 'pagerduty',
      userId: typeof agent?.id === 'string' ? agent.id : 'unknown',
      ...(typeof agent?.summary === 'string' ? { name: agent.summary } : {}),
    },
    args: {
      ...(signal === 'resolve' ? { summary: 'resolved in PagerDuty' } : {}),
      // The key names the incident: an event about a closed one is refused.
      incident: match[1],
    },
  };
}
