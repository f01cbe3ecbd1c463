import { ApplicationFailure } from '@temporalio/activity';
import { WebClient, ErrorCode, type WebAPICallResult } from '@slack/web-api';
import { dashboardFor, type RunbooksConfig } from '../config';
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
import { ownValue } from '../domain/policy';
import { slackText } from '../domain/text';

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
      // Every call is bounded well inside its activity's 30 s: a Slack that accepts and never answers fails.
      timeout: 10_000,
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

  /** Slack's rules for channel names: lower case, letters, digits, - and _, at most 80 characters. */
  const channelName = (incidentId: string, service: string) =>
    `inc-${incidentId.slice(-8)}-${service}`
      .toLowerCase()
      .replace(/[^a-z0-9_-]+/g, '-')
      .replace(/-{2,}/g, '-')
      .slice(0, 80)
      .replace(/-$/, '');

  /** The Slack member ids of these contacts (those that have one). */
  const slackUsers = (contactIds: string[]) =>
    contactIds.map((id) => ownValue(config.contacts, id)?.slackUserId).filter((u): u is string => !!u);

  /** Adds people to the incident's own channel; someone already in it, or a refusal, changes nothing. */
  async function inviteToChannel(channel: string, contactIds: string[]): Promise<void> {
    const t = token();
    const users = slackUsers(contactIds);
    if (!t || !users.length) return;
    await call(t, (c) => c.conversations.invite({ channel, users: users.join(',') })).catch((err: Error) => {
      if (!/already_in_channel|cant_invite_self/.test(err.message)) throw err;
    });
  }

  /**
   * The incident's own channel, when configured for its severity: created, the paged people invited, a
   * pointer left in the shared channel. Null when it cannot be (no scope, name taken): the shared channel then.
   */
  async function ownChannel(t: string, args: AnnounceIncidentArgs): Promise<string | null> {
    const per = config.slack.channelPerIncident;
    if (!per.enabled || !args.severity || !per.severities.includes(args.severity as never)) return null;
    let id: string;
    try {
      const created = (await call(t, (c) =>
        c.conversations.create({ name: channelName(args.incidentId, args.service ?? 'incident') }),
      )) as WebAPICallResult & { channel?: { id?: string } };
      if (!created.channel?.id) return null;
      id = created.channel.id;
    } catch (err) {
      // Refusals (missing_scope, name_taken, restricted_action) mean the shared channel; outages retry.
      if (err instanceof ApplicationFailure && err.nonRetryable) return null;
      throw err;
    }
    await inviteToChannel(id, args.contactIds ?? []).catch(() => undefined);
    await call(t, (c) =>
      c.chat.postMessage({
        channel: config.slack.channel,
        text: `${args.text.split('\n')[0]} — in <#${id}>`,
      }),
    ).catch(() => undefined);
    return id;
  }

  async function archiveIncidentChannel(args: {
    incidentId: string;
    channel: string;
  }): Promise<DeliveryResult> {
    const t = token();
    if (!t) return { delivered: false, detail: 'no Slack token' };
    try {
      await call(t, (c) => c.conversations.archive({ channel: args.channel }));
      return { delivered: true, detail: `channel ${args.channel} archived` };
    } catch (err) {
      if (err instanceof ApplicationFailure && err.nonRetryable)
        return { delivered: false, detail: `channel ${args.channel} not archived: ${err.message}` };
      throw err;
    }
  }

  async function announceIncident(announced: AnnounceIncidentArgs): Promise<SlackThreadRef | null> {
    // The service's dashboard, from the configuration (so the workflow's text needs no change).
    const dashboard = announced.service ? dashboardFor(config, announced.service) : null;
    const args = dashboard
      ? {
          ...announced,
          text: `${announced.text}\n*Dashboard*: <${slackText(dashboard, 2000)}|${slackText(announced.service, 200)} dashboard>`,
        }
      : announced;
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
    const own = await ownChannel(t, args);
    const result = await call(t, (c) =>
      c.chat.postMessage({
        channel: own ?? config.slack.channel,
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
    const channel = String(posted.channel ?? own ?? config.slack.channel);
    // Best effort: the link is for people; the announcement is what matters.
    const link = (await call(t, (c) => c.chat.getPermalink({ channel, message_ts: String(posted.ts) })).catch(
      () => null,
    )) as (WebAPICallResult & { permalink?: string }) | null;
    const permalink = /^https?:\/\//.test(link?.permalink ?? '') ? link!.permalink : undefined;
    return {
      channel,
      ts: String(posted.ts),
      ...(own ? { own: true } : {}),
      ...(permalink ? { permalink } : {}),
    };
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
    const post = (where: SlackThreadRef | null) =>
      call(t, (c) =>
        c.chat.postMessage({
          channel: where?.channel ?? config.slack.channel,
          ...(where ? { thread_ts: where.ts } : {}),
          text,
          ...(blocks ? { blocks } : {}),
        }),
      );
    try {
      await post(thread);
    } catch (err) {
      // The incident's own channel was archived at close (a review reminder comes a day later): the shared one.
      if (!(thread?.own && err instanceof Error && /is_archived|channel_not_found/.test(err.message)))
        throw err;
      await post(null);
      return { delivered: true, detail: 'posted in the channel (the incident channel is archived)' };
    }
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
          elements: approvalButtons(args.workflowId, args.incidentId, args.step, args.proposal),
        },
      ],
    );

  /** A direct message to one contact (revision 9's Slack rule): Slack opens the DM from the member id. */
  async function directMessage(args: { incidentId: string; contactId: string; text: string }) {
    const user = slackUsers([args.contactId])[0];
    if (!user) return { delivered: false, detail: 'no Slack member id' } satisfies DeliveryResult;
    const t = token();
    if (!t) {
      await journal.write({
        kind: 'slack.dm',
        incidentId: args.incidentId,
        contact: args.contactId,
        text: args.text,
      });
      return { delivered: true, detail: 'Slack message written to the notification journal' };
    }
    await call(t, (c) => c.chat.postMessage({ channel: user, text: args.text }));
    return { delivered: true, detail: 'Slack direct message' };
  }

  return {
    announceIncident,
    directMessage,
    postThreadMessage,
    requestApproval,
    archiveIncidentChannel,
    inviteToChannel,
    slackUsers,
  };
}
