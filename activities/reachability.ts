/**
 * Who a page can reach. A contact is reachable by page when its PagerDuty routing key is in the environment,
 * or by e-mail when it has an address and `smtp` is configured; without either, a page to it is only
 * logged. That suits `npm start` on a laptop. In production (`NODE_ENV=production`, which the image sets)
 * such a page is not delivered, a worker refuses to start with a ladder level nobody on can be paged, and
 * its `/readyz` fails while a schedule hands the pager to someone who cannot be.
 */
import type { RunbooksConfig } from '../config';
import { onCallAt, type Override } from '../domain/oncall';
import { ownValue } from '../domain/policy';
import { readSecret, type Env } from './secrets';
import { everyLadder, rulePeople, ruleSchedules } from '../config/escalation';

export function productionMode(env: Env): boolean {
  return env.NODE_ENV?.trim() === 'production';
}

/** Why a page to this contact reaches nobody (name, id, and what is missing), or null when it can. */
export function whyUnpageable(config: RunbooksConfig, env: Env, contactId: string): string | null {
  const contact = ownValue(config.contacts, contactId);
  if (!contact) return `${contactId}: not a contact`;
  const who = `${contact.name} (${contactId})`;
  const key = contact.pagerdutyRoutingKeyEnv;
  if (!key) return `${who}: no pagerdutyRoutingKeyEnv`;
  return readSecret(env, key) ? null : `${who}: ${key} is not set`;
}

interface Level {
  path: string;
  name: string;
  contacts: string[];
  /** The contacts are this schedule's fallback. */
  schedule?: string;
  /** The on-call of each is paged with every contact (an escalation policy's rule). */
  schedules?: string[];
}

/** Every level of every escalation policy (the top-level ladder among them), and the security and management levels. */
function levels(config: RunbooksConfig): Level[] {
  const { securityContacts, managementContacts } = config.escalation;
  return [
    ...everyLadder(config).flatMap(({ path, ladder }) =>
      ladder.rules.map((r, i) => ({ path: `${path}[${i}]`, ...r })),
    ),
    ...(securityContacts.length
      ? [{ path: 'escalation.securityContacts', name: 'security team', contacts: securityContacts }]
      : []),
    ...(managementContacts.length
      ? [{ path: 'escalation.managementContacts', name: 'management', contacts: managementContacts }]
      : []),
  ];
}

/** Everyone a level may page: its contacts, and every participant of its schedule (overrides aside). */
const peopleOf = (config: RunbooksConfig, level: Level) => rulePeople(config, [level]);

/** The levels nobody on can be paged, each with its path and every person's reason. */
export function unpageableLevels(config: RunbooksConfig, env: Env): string[] {
  const problems: string[] = [];
  for (const level of levels(config)) {
    const why = peopleOf(config, level).map((id) => whyUnreachable(config, env, id));
    if (why.every((w) => w !== null))
      problems.push(`${level.path} ("${level.name}"): nobody on it can be paged: ${why.join('; ')}`);
  }
  return problems;
}

/**
 * Why nothing reaches this contact at a page, or null when something does: PagerDuty, or e-mail (an `email`
 * with `smtp` configured, docs/email.md).
 */
function whyUnreachable(config: RunbooksConfig, env: Env, contactId: string): string | null {
  const why = whyUnpageable(config, env, contactId);
  if (!why || (config.smtp && ownValue(config.contacts, contactId)?.email)) return null;
  return config.smtp ? `${why}, and no email` : why;
}

/** The schedules the levels page, whose overrides `unpageableOnCall` needs. */
export function ladderSchedules(config: RunbooksConfig): string[] {
  return [...new Set(levels(config).flatMap(ruleSchedules))];
}

/**
 * Schedule levels whose on-call at `now` cannot be paged, by rotation and by `overrides` (per schedule, as
 * Temporal holds them: the caller reads them, `activities/oncall.ts`). A level pages its schedule's on-call
 * alone while someone is on call (its fixed contacts only when nobody is), so such a page would reach nobody.
 */
export function unpageableOnCall(
  config: RunbooksConfig,
  env: Env,
  now: number,
  overrides: Readonly<Record<string, readonly Override[]>> = {},
): string[] {
  const problems: string[] = [];
  const onCallNow = (name: string) => {
    const schedule = ownValue(config.schedules, name);
    return schedule && onCallAt({ name, ...schedule }, now, ownValue(overrides, name));
  };
  for (const level of levels(config)) {
    if (level.schedules) {
      // A policy's rule pages its contacts and each on-call: a page reaches nobody only if none can be paged.
      const paged = [...level.contacts, ...level.schedules.flatMap((n) => onCallNow(n)?.contactId ?? [])];
      const why = paged.map((id) => whyUnreachable(config, env, id));
      if (why.length && why.every((w) => w !== null))
        problems.push(`${level.path} ("${level.name}"): nobody it pages now can be paged: ${why.join('; ')}`);
      continue;
    }
    const onCall = level.schedule === undefined ? undefined : onCallNow(level.schedule);
    const why = onCall ? whyUnreachable(config, env, onCall.contactId) : null;
    if (why)
      problems.push(`${level.path} ("${level.name}"): on call now by schedule ${level.schedule}: ${why}`);
  }
  return problems;
}
