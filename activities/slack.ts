import { ApplicationFailure } from '@temporalio/activity';
import { WebClient, ErrorCode, type WebAPICallResult } from '@slack/web-api';
import type { RunbooksConfig } from '../config';
import { approvalButtons, incidentButtons } from './slack-buttons';
import type {
  AnnounceIncidentArgs,
  ApprovalRequestArgs,
  DeliveryResult,
  SlackThreadRef,
  ThreadMessageArgs,
} from './contract';
import type { Journal, JournalEntry } from './journal';
import { activityAbortSignal } from './cancellation';
import { failureForStatus } from './retry';
import { readSecret, redact, type Env } from './secrets';

interface SlackError extends Error {
  code?: string;
  retryAfter?: number;
  statusCode?: number;
  data?: { error?: string };
}

/** Incident messages in Slack (@slack/web-api); without a bot token they go to the journal instead. */
function abortOf(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

export function createSlackActivities(config: RunbooksConfig, env: Env, journal: Journal) {
  const token = () => readSecret(env, config.slack.tokenEnv);
  const client = (t: string) =>
    new WebClient(t, {
      // Temporal owns retries (durable, visible in history); the client must fail fast and say why.
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      ...(config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl.replace(/\/?$/, '/') } : {}),
      logger: {
        debug() {},
        info() {},
        warn() {},
        error() {},
        setLevel() {},
        getLevel: () => 'error' as never,
        setName() {},
      },
    });

  async function call(t: string, fn: (c: WebClient) => Promise<WebAPICallResult>): Promise<WebAPICallResult> {
    const signal = activityAbortSignal();
    try {
      // The Slack client takes no abort signal: a cancelled activity stops waiting for it instead.
      return await (signal ? Promise.race([fn(client(t)), abortOf(signal)]) : fn(client(t)));
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      const e = err as SlackError;
      if (e.code === ErrorCode.RateLimitedError) throw failureForStatus('Slack', 429, e.retryAfter);
      if (e.code === ErrorCode.HTTPError) throw failureForStatus('Slack', e.statusCode ?? 500);
      if (e.code === ErrorCode.PlatformError)
        throw ApplicationFailure.nonRetryable(
          `Slack refused the call: ${e.data?.error ?? 'unknown error'}`,
          'SlackPlatformError',
        );
      throw ApplicationFailure.retryable(`Slack unreachable: ${redact(e.message, [t])}`, 'SlackUnreachable');
    }
  }

  async function announceIncident(args: AnnounceIncidentArgs): Promise<SlackThreadRef | null> {
    const t = token();
    if (!t) {
      await journal.write({
        kind: 'slack.announce',
        incidentId: args.incidentId,
        channel: config.slack.channel,
        text: args.text,
      });
      return null;
    }
    const result = await call(t, (c) =>
      c.chat.postMessage({
        channel: config.slack.channel,
        text: args.text,
        blocks: [
          { type: 'section', text: { type: 'mrkdwn', text: args.text } },
          {
            type: 'actions',
            block_id: 'incident_actions',
            elements: incidentButtons(args.workflowId, args.incidentId),
          },
        ],
        unfurl_links: false,
      }),
    );
    const posted = result as WebAPICallResult & { channel?: string; ts?: string };
    return { channel: String(posted.channel ?? config.slack.channel), ts: String(posted.ts) };
  }

  /**
   * Posts in the incident's thread (or, when the announcement failed, in the channel); without a bot
   * token the message goes to the journal instead.
   */
  async function postInThread(
    journalEntry: JournalEntry,
    thread: SlackThreadRef | null,
    text: string,
    blocks?: Record<string, unknown>[],
  ): Promise<DeliveryResult> {
    const t = token();
    if (!t) {
      await journal.write(journalEntry);
      return { delivered: true, detail: 'written to the notification journal' };
    }
    await call(t, (c) =>
      c.chat.postMessage({
        channel: thread?.channel ?? config.slack.channel,
        ...(thread ? { thread_ts: thread.ts } : {}),
        text,
        ...(blocks ? { blocks } : {}),
      }),
    );
    return { delivered: true, detail: thread ? 'posted in the Slack thread' : 'posted in the channel' };
  }

  const postThreadMessage = (args: ThreadMessageArgs): Promise<DeliveryResult> =>
    postInThread(
      { kind: 'slack.thread', incidentId: args.incidentId, channel: config.slack.channel, text: args.text },
      args.thread,
      args.text,
    );

  /** A proposed runbook step with Approve / Reject buttons, in the incident's thread. */
  const requestApproval = (args: ApprovalRequestArgs): Promise<DeliveryResult> =>
    postInThread(
      { kind: 'slack.approval', incidentId: args.incidentId, step: args.step, text: args.text },
      args.thread,
      args.text,
      [
        { type: 'section', text: { type: 'mrkdwn', text: args.text } },
        {
          type: 'actions',
          block_id: `approval_${args.step}`,
          elements: approvalButtons(args.workflowId, args.incidentId, args.step),
        },
      ],
    );

  return { announceIncident, postThreadMessage, requestApproval };
}
