/**
 * Who is paged, as data: the top-level ladder (the default policy), `escalationPolicies` (ordered rules of
 * targets with a delay each, a repeat count, what happens after, per-severity overrides) and `teams` (members,
 * a Slack channel, a default policy). Validation here names the path of every unknown target and
 * cycle;
 * `escalation.ts` resolves a service's policy and checks what the engine revision can run.
 */
import { z } from 'zod';
import { duration } from './zod-types';

const severity = z.enum(['P1', 'P2', 'P3']);
const afterLadder = z.enum(['repeat-last', 'stop']);

/** A ladder level pages a schedule's on-call (resolved at each page), fixed contacts, or the schedule with them as fallback. */
const ladderLevel = z
  .strictObject({
    name: z.string().min(1),
    contacts: z.array(z.string()).default([]),
    schedule: z.string().optional(),
  })
  .refine((l) => l.contacts.length > 0 || l.schedule !== undefined, 'expected "contacts" or "schedule"');

export const escalationSchema = z.strictObject({
  ladder: z.array(ladderLevel).min(1),
  /** How many more times the whole ladder is walked once exhausted. */
  repeat: z.number().int().min(0).max(10).default(0),
  /**
   * Once the ladder (and its repeats) is walked and nobody acknowledged: `repeat-last` pages the last
   * level again every respondWithin until someone does; `stop` pages nobody more and says so.
   */
  afterLadder: afterLadder.default('repeat-last'),
  securityContacts: z.array(z.string()).default([]),
  managementContacts: z.array(z.string()).default([]),
});

/** Whom a rule pages: a contact, whoever is on call in a schedule, or a team (who its policy pages first). */
const target = z.union([
  z.strictObject({ contact: z.string().min(1) }),
  z.strictObject({ schedule: z.string().min(1) }),
  z.strictObject({ team: z.string().min(1) }),
]);
export type EscalationTarget = z.output<typeof target>;

export const ruleSchema = z.strictObject({
  /** What the timeline and pages call this rule (default: its targets). */
  name: z.string().min(1).optional(),
  /** How long after this rule pages, unacknowledged, the next rule is paged (default: the severity's respondWithin). */
  delay: duration.optional(),
  targets: z.array(target).min(1, 'a rule pages at least one target'),
});

const rules = z.array(ruleSchema).min(1, 'a policy has at least one rule');
const policyLadder = z.strictObject({
  rules,
  repeat: z.number().int().min(0).max(10).default(0),
  afterLadder: afterLadder.default('repeat-last'),
});

export const escalationPolicySchema = z.strictObject({
  rules,
  /** How many more times the rules are walked once exhausted. */
  repeat: z.number().int().min(0).max(10).default(0),
  afterLadder: afterLadder.default('repeat-last'),
  /** Other rules for incidents of a severity (followed as the incident's severity changes). */
  severity: z.partialRecord(severity, policyLadder).default({}),
});
export type EscalationPolicyConfig = z.output<typeof escalationPolicySchema>;

export const teamSchema = z.strictObject({
  name: z.string().min(1).optional(),
  /** Contact ids. */
  members: z.array(z.string()).default([]),
  slackChannel: z.string().min(1).optional(),
  /** The policy of the team's services, unless a service names its own. */
  escalationPolicy: z.string().min(1),
});

/** The name under which the top-level `escalation.ladder` is the default policy. */
export const DEFAULT_POLICY = 'default';

export interface EscalationConfig {
  escalation: z.output<typeof escalationSchema>;
  escalationPolicies: Record<string, EscalationPolicyConfig>;
  teams: Record<string, z.output<typeof teamSchema>>;
  services: Record<string, { team?: string; escalationPolicy?: string }>;
  contacts: Record<string, unknown>;
  schedules: Record<string, unknown>;
  engine: { revision: number };
}

export type Issue = (path: (string | number)[], message: string) => void;

/** Revision 6 runs per-rule delays, rules paging several schedules or contacts beside one, and severity overrides. */
export const POLICY_REVISION = 6;

const known = (record: Record<string, unknown>, name: string) => Object.hasOwn(record, name);
const list = (record: Record<string, unknown>) => Object.keys(record).join(', ') || 'none';

/** Every ladder (the default and per-severity ones) of a policy, with its path. */
function ladders(name: string, p: EscalationPolicyConfig) {
  const base = ['escalationPolicies', name];
  return [
    { path: base, rules: p.rules },
    ...Object.entries(p.severity).map(([s, l]) => ({ path: [...base, 'severity', s], rules: l!.rules })),
  ];
}

/** The teams a policy's rules target, with where. */
function teamTargets(name: string, p: EscalationPolicyConfig) {
  return ladders(name, p).flatMap(({ path, rules }) =>
    rules.flatMap((r, i) =>
      r.targets.flatMap((t, j) =>
        'team' in t ? [{ team: t.team, path: [...path, 'rules', i, 'targets', j, 'team'] }] : [],
      ),
    ),
  );
}

/** A team whose policy, through team targets, leads back to itself would be paged for ever: refused. */
function checkCycles(cfg: EscalationConfig, issue: Issue) {
  const reported = new Set<string>();
  const visit = (team: string, trail: string[]) => {
    const policyName = cfg.teams[team]?.escalationPolicy;
    const policy = policyName === undefined ? undefined : cfg.escalationPolicies[policyName];
    if (!policy) return;
    for (const next of teamTargets(policyName!, policy)) {
      if (!known(cfg.teams, next.team)) continue;
      const at = trail.indexOf(next.team);
      if (at >= 0 || next.team === team) {
        const cycle = [...trail.slice(at >= 0 ? at : trail.length), team, next.team];
        const key = next.path.join('.');
        if (!reported.has(key))
          issue(next.path, `cycle: ${cycle.map((t) => `team ${t}`).join(' → ')} (through their policies)`);
        reported.add(key);
        continue;
      }
      visit(next.team, [...trail, team]);
    }
  };
  for (const team of Object.keys(cfg.teams)) visit(team, []);
}

/** Unknown names and cycles; each issue names its path. */
export function checkEscalation(cfg: EscalationConfig, issue: Issue): void {
  for (const [name, policy] of Object.entries(cfg.escalationPolicies)) {
    if (name === DEFAULT_POLICY)
      issue(
        ['escalationPolicies', name],
        `"${DEFAULT_POLICY}" is the top-level escalation.ladder: name it otherwise`,
      );
    for (const { path, rules } of ladders(name, policy))
      rules.forEach((r, i) => {
        r.targets.forEach((t, j) => {
          const [kind, value, record] =
            'contact' in t
              ? (['contact', t.contact, cfg.contacts] as const)
              : 'schedule' in t
                ? (['schedule', t.schedule, cfg.schedules] as const)
                : (['team', t.team, cfg.teams] as const);
          if (!known(record, value))
            issue(
              [...path, 'rules', i, 'targets', j, kind],
              `unknown ${kind} "${value}" (known: ${list(record)})`,
            );
        });
      });
    if (cfg.engine.revision < POLICY_REVISION && Object.keys(policy.severity).length)
      issue(
        ['escalationPolicies', name, 'severity'],
        `per-severity rules need engine.revision ${POLICY_REVISION} (docs/escalation.md)`,
      );
  }
  const policies = [DEFAULT_POLICY, ...Object.keys(cfg.escalationPolicies)];
  const checkPolicy = (name: string | undefined, path: (string | number)[]) => {
    if (name !== undefined && !policies.includes(name))
      issue(path, `unknown escalation policy "${name}" (known: ${policies.join(', ')})`);
  };
  for (const [name, team] of Object.entries(cfg.teams)) {
    checkPolicy(team.escalationPolicy, ['teams', name, 'escalationPolicy']);
    team.members.forEach((id, j) => {
      if (!known(cfg.contacts, id)) issue(['teams', name, 'members', j], `unknown contact "${id}"`);
    });
  }
  for (const [name, svc] of Object.entries(cfg.services)) {
    checkPolicy(svc.escalationPolicy, ['services', name, 'escalationPolicy']);
    if (svc.team !== undefined && !known(cfg.teams, svc.team))
      issue(['services', name, 'team'], `unknown team "${svc.team}" (known: ${list(cfg.teams)})`);
  }
  checkCycles(cfg, issue);
}
