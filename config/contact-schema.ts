/** A contact: how to reach a person, and their `notificationRules` (domain/notification-rules.ts). */
import { z } from 'zod';
import { parseDuration } from './duration';
import { envName } from './zod-types';
import { PAGERDUTY_ID, SLACK_MEMBER_ID } from './access-schema';
import {
  NOTIFICATION_CHANNELS,
  notificationRuleProblems,
  RULES_REVISION,
} from '../domain/notification-rules';

/** "0s" (with the page) or any duration; unlike durations elsewhere, zero is allowed. */
const after = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `expected a duration like "0s" or "5m", got "${text}"` });
    return z.NEVER;
  }
  return ms;
});

const rule = z
  .strictObject({
    channel: z.enum(NOTIFICATION_CHANNELS),
    /** How long after the page; absent: with it. */
    after: after.default(0 as never),
    severities: z
      .array(z.enum(['P1', 'P2', 'P3']))
      .min(1)
      .optional(),
  })
  .transform(({ after: afterMs, ...r }) => ({ ...r, afterMs }));

const notificationRulesSchema = z
  .array(rule)
  .min(1)
  .superRefine((rules, ctx) => {
    for (const p of notificationRuleProblems(rules))
      ctx.addIssue({ code: 'custom', path: [p.index], message: p.message });
  });

/** A rule for a channel the contact has no address on is refused: it would reach nobody. */
function checkRuleAddresses(
  contact: { email?: string; slackUserId?: string; notificationRules?: Array<{ channel: string }> },
  ctx: z.RefinementCtx,
): void {
  for (const [i, r] of (contact.notificationRules ?? []).entries()) {
    if (r.channel === 'email' && !contact.email)
      ctx.addIssue({
        code: 'custom',
        path: ['notificationRules', i],
        message: 'an e-mail rule needs "email"',
      });
    if (r.channel === 'slack' && !contact.slackUserId)
      ctx.addIssue({
        code: 'custom',
        path: ['notificationRules', i],
        message: 'a Slack rule needs "slackUserId"',
      });
  }
}

export const contact = z
  .strictObject({
    name: z.string().min(1),
    /** Slack's member id (U… or W…): who a Slack click is from, and whom a Slack notice mentions. */
    slackUserId: z.string().regex(SLACK_MEMBER_ID, 'expected a Slack member id such as U024BE7LH').optional(),
    /** PagerDuty's user id (P…): whose acknowledge or resolve a PagerDuty webhook reports. */
    pagerdutyUserId: z
      .string()
      .regex(new RegExp(`^${PAGERDUTY_ID}$`), 'expected a PagerDuty user id such as PXPGF42')
      .optional(),
    phone: z.string().optional(),
    email: z.string().optional(),
    /** Environment variable holding this contact's PagerDuty Events v2 routing key. */
    pagerdutyRoutingKeyEnv: envName.optional(),
    /** Engine revision 9: which channels reach this person, when, for which severities (docs/escalation.md). */
    notificationRules: notificationRulesSchema.optional(),
  })
  .superRefine(checkRuleAddresses);

/** Rules the configuration cannot honour: an engine revision that ignores them, e-mail with no SMTP. */
export function checkNotificationRules(
  cfg: {
    engine: { revision: number };
    smtp?: unknown;
    contacts: Record<string, { notificationRules?: Array<{ channel: string }> }>;
  },
  issue: (path: (string | number)[], message: string) => void,
): void {
  for (const [id, c] of Object.entries(cfg.contacts)) {
    if (!c.notificationRules) continue;
    if (cfg.engine.revision < RULES_REVISION)
      issue(
        ['contacts', id, 'notificationRules'],
        `notification rules need engine.revision ${RULES_REVISION}: set it once every worker runs a release that knows it (docs/escalation.md)`,
      );
    const email = c.notificationRules.findIndex((r) => r.channel === 'email');
    if (email >= 0 && !cfg.smtp)
      issue(['contacts', id, 'notificationRules', email], 'an e-mail rule needs "smtp" configured');
  }
}
