/**
 * Who a page can reach. A contact is reachable by page when its PagerDuty routing key is in the environment;
 * without one, a page to it is only logged. That suits `npm start` on a laptop. In production
 * (`NODE_ENV=production`, which the image sets) such a page is not delivered, a worker refuses to start
 * with a ladder level nobody on can be paged, and its `/readyz` fails while a schedule hands the pager to
 * someone who cannot be.
 */
import type { RunbooksConfig } from '../config';
import { onCallAt, type Override } from '../domain/oncall';
import { ownValue } from '../domain/policy';
import { readSecret, type Env } from './secrets';

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
  schedule?: string;
}

function levels(config: RunbooksConfig): Level[] {
  const { ladder, securityContacts, managementContacts } = config.escalation;
  return [
    ...ladder.map((l, i) => ({ path: `escalation.ladder[${i}]`, ...l })),
    ...(securityContacts.length
      ? [{ path: 'escalation.securityContacts', name: 'security team', contacts: securityContacts }]
      : []),
    ...(managementContacts.length
      ? [{ path: 'escalation.managementContacts', name: 'management', contacts: managementContacts }]
      : []),
  ];
}

function scheduleOf(config: RunbooksConfig, level: Level) {
  return level.schedule === undefined ? undefined : ownValue(config.schedules, level.schedule);
}

/** Everyone a level may page: its contacts, and every participant of its schedule (overrides aside). */
function peopleOf(config: RunbooksConfig, level: Level): string[] {
  const schedule = scheduleOf(config, level);
  const rotating = schedule?.layers.flatMap((layer) => layer.participants) ?? [];
  return [...new Set([...level.contacts, ...rotating])];
}

/** The levels nobody on can be paged, each with its path and every person's reason. */
export function unpageableLevels(config: RunbooksConfig, env: Env): string[] {
  const problems: string[] = [];
  for (const level of levels(config)) {
    const why = peopleOf(config, level).map((id) => whyUnpageable(config, env, id));
    if (why.every((w) => w !== null))
      problems.push(`${level.path} ("${level.name}"): nobody on it can be paged: ${why.join('; ')}`);
  }
  return problems;
}

/** The schedules the levels page, whose overrides `unpageableOnCall` needs. */
export function ladderSchedules(config: RunbooksConfig): string[] {
  return [...new Set(levels(config).flatMap((l) => (l.schedule === undefined ? [] : [l.schedule])))];
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
  for (const level of levels(config)) {
    const schedule = scheduleOf(config, level);
    const onCall =
      schedule && onCallAt({ name: level.schedule!, ...schedule }, now, ownValue(overrides, level.schedule!));
    const why = onCall ? whyUnpageable(config, env, onCall.contactId) : null;
    if (why)
      problems.push(`${level.path} ("${level.name}"): on call now by schedule ${level.schedule}: ${why}`);
  }
  return problems;
}
