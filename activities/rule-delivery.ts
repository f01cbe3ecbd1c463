/**
 * Revision 9: pages that reach each person by their notification rules (domain/notification-rules.ts). The
 * channels themselves stay in their modules (PagerDuty, SMTP, Slack); this only chooses among them, per person.
 */
import type { RunbooksConfig } from '../config';
import { ownValue } from '../domain/policy';
import {
  NOTIFICATION_CHANNELS,
  notificationPlan,
  type NotificationChannel,
} from '../domain/notification-rules';
import { slackText } from '../domain/text';
import type { DeliveryResult, FollowUpArgs, PageContactsArgs } from './contract';
import type { createEmailActivities } from './email';
import type { createPagingActivities } from './paging';
import type { createSlackActivities } from './slack';

interface Channels {
  paging: Pick<ReturnType<typeof createPagingActivities>, 'pageOnCall'>;
  email: Pick<ReturnType<typeof createEmailActivities>, 'emailPage'>;
  slack: Pick<ReturnType<typeof createSlackActivities>, 'directMessage'>;
}

// Slack reads `<!channel>` and `<@U…>` in text as markup: the alert's words are escaped, never obeyed.
const slackPageText = (a: Omit<PageContactsArgs, 'contactIds' | 'channel'>) =>
  slackText(
    `You are paged: [${a.severity}] ${a.service}: ${a.summary} (incident ${a.incidentId}). ${a.reason}`,
    3000,
  );

export function createRuleDelivery(config: RunbooksConfig, { paging, email, slack }: Channels) {
  /** One channel to some contacts; null: e-mail that reached nobody (no SMTP configured, or no address). */
  async function viaChannel(
    channel: NotificationChannel,
    args: Omit<PageContactsArgs, 'contactIds'>,
    contactIds: string[],
  ): Promise<DeliveryResult | null> {
    if (channel === 'pagerduty') return paging.pageOnCall({ ...args, contactIds });
    if (channel === 'email') return email.emailPage({ ...args, contactIds });
    const sent: DeliveryResult[] = [];
    for (const contactId of contactIds)
      sent.push(
        await slack.directMessage({ incidentId: args.incidentId, contactId, text: slackPageText(args) }),
      );
    return { delivered: sent.some((r) => r.delivered), detail: sent.map((r) => r.detail).join('; ') };
  }
  const NO_EMAIL: DeliveryResult = { delivered: false, detail: 'e-mail: no SMTP configured, or no address' };

  /** A page: each channel its people's rules name now, once for all of them; the follow-ups for later. */
  async function pageByRules(args: PageContactsArgs): Promise<DeliveryResult> {
    const byChannel = new Map<NotificationChannel, string[]>();
    const followUps: NonNullable<DeliveryResult['followUps']> = [];
    for (const contactId of args.contactIds) {
      const plan = notificationPlan(ownValue(config.contacts, contactId)?.notificationRules, args.severity);
      for (const channel of plan.now) byChannel.set(channel, [...(byChannel.get(channel) ?? []), contactId]);
      for (const later of plan.later) followUps.push({ contactId, ...later });
    }
    const results: DeliveryResult[] = [];
    // PagerDuty first: its failure retries the activity before a Slack message (which has no idempotency key)
    // has gone; e-mail is once-only by its Message-ID.
    for (const channel of NOTIFICATION_CHANNELS.filter((c) => byChannel.has(c))) {
      const contactIds = byChannel.get(channel)!;
      // E-mail by default reaches those with an address when SMTP is configured; by a rule, it must.
      const result = await viaChannel(channel, args, contactIds);
      if (result || contactIds.some(hasEmailRule)) results.push(result ?? NO_EMAIL);
    }
    const later = followUps.map((f) => `${f.contactId} by ${f.channel} in ${Math.round(f.afterMs / 1000)} s`);
    return {
      delivered: results.some((r) => r.delivered),
      detail: [
        ...results.map((r) => r.detail),
        ...(later.length ? [`later unless owned: ${later.join(', ')}`] : []),
      ].join('; '),
      followUps,
    };
  }

  function hasEmailRule(contactId: string): boolean {
    return !!ownValue(config.contacts, contactId)?.notificationRules?.some((r) => r.channel === 'email');
  }

  /**
   * A follow-up: its own message id (the page's dedup key and the rule), so a retry or a crashed worker's repeat
   * sends one e-mail; through PagerDuty, the page's own dedup key, which the incident's acknowledgement answers.
   */
  async function followUpContact(args: FollowUpArgs): Promise<DeliveryResult> {
    const { contactId, channel, rule, ...page } = args;
    const dedupKey = channel === 'email' ? `${page.dedupKey ?? page.incidentId}.rule-${rule}` : page.dedupKey;
    return (await viaChannel(channel, { ...page, dedupKey, channel: 'page' }, [contactId])) ?? NO_EMAIL;
  }

  return { pageByRules, followUpContact };
}
