/**
 * A person's notification rules (engine revision 9): which channels reach them, how long after they are paged,
 * for which severities; PagerDuty's and Opsgenie's per-user rules, for the channels this project delivers
 * itself. "Slack at once and e-mail after 5 minutes for P2" is two rules. A severity none of a person's rules
 * names reaches them as a person without rules is reached: PagerDuty, and e-mail when they have an address.
 */
import type { Severity } from './types';

export const NOTIFICATION_CHANNELS = ['pagerduty', 'email', 'slack'] as const;
export type NotificationChannel = (typeof NOTIFICATION_CHANNELS)[number];

export interface NotificationRule {
  channel: NotificationChannel;
  /** How long after the page, in ms; 0: with it. */
  afterMs: number;
  /** The severities it applies to; absent: all. */
  severities?: Severity[];
}

/** What a page does for one person: channels now, and follow-ups later unless the incident is owned by then. */
export interface NotificationPlan {
  now: NotificationChannel[];
  later: Array<{ channel: NotificationChannel; afterMs: number; rule: number }>;
  /** False: no rule names this severity, so the default channels. */
  byRules: boolean;
}

/** A person without rules (or whose rules do not name the severity) is paged and e-mailed at once. */
export const DEFAULT_CHANNELS: readonly NotificationChannel[] = ['pagerduty', 'email'];

const applies = (rule: NotificationRule, severity: Severity) =>
  !rule.severities || rule.severities.includes(severity);

export function notificationPlan(
  rules: readonly NotificationRule[] | undefined,
  severity: Severity,
): NotificationPlan {
  const mine = (rules ?? []).map((rule, index) => ({ rule, index })).filter((r) => applies(r.rule, severity));
  if (!mine.length) return { now: [...DEFAULT_CHANNELS], later: [], byRules: false };
  const now = [...new Set(mine.filter((r) => r.rule.afterMs <= 0).map((r) => r.rule.channel))];
  const later = mine
    .filter((r) => r.rule.afterMs > 0)
    .map((r) => ({ channel: r.rule.channel, afterMs: r.rule.afterMs, rule: r.index }))
    .sort((a, b) => a.afterMs - b.afterMs || a.rule - b.rule);
  return { now, later, byRules: true };
}

/**
 * Why a set of rules is refused, one line each with the rule's index: a severity a rule names must also be
 * reached at once (a page nobody hears for minutes would look delivered), and PagerDuty named once per
 * severity (a repeat through PagerDuty is PagerDuty's own rules' work: the same alert does not notify twice).
 */
export function notificationRuleProblems(
  rules: readonly NotificationRule[],
): Array<{ index: number; message: string }> {
  const problems: Array<{ index: number; message: string }> = [];
  for (const severity of ['P1', 'P2', 'P3'] as const) {
    const mine = rules.map((rule, index) => ({ rule, index })).filter((r) => applies(r.rule, severity));
    if (mine.length && !mine.some((r) => r.rule.afterMs <= 0))
      problems.push({
        index: mine[0].index,
        message: `${severity}: no rule reaches this person at once (add one with "after" 0 for ${severity})`,
      });
    const pagerduty = mine.filter((r) => r.rule.channel === 'pagerduty');
    if (pagerduty.length > 1)
      problems.push({
        index: pagerduty[1].index,
        message: `${severity}: PagerDuty is named twice (PagerDuty's own notification rules repeat a page)`,
      });
  }
  return problems;
}

/** The engine revision that reaches people by their rules; older runs page and e-mail everyone at once. */
export const RULES_REVISION = 9;
