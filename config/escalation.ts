/**
 * A service's escalation policy, resolved from the configuration into plain rules: its own policy, else its
 * team's, else the top-level ladder (`default`). A team target becomes whom that team's policy pages first.
 * The incident freezes the result into its history when it opens (`activities/policy.ts`).
 */
import type { Severity } from '../domain/types';
import {
  DEFAULT_POLICY,
  POLICY_REVISION,
  type EscalationConfig,
  type EscalationTarget,
  type Issue,
} from './escalation-schema';

/**
 * One rung. `schedule` alone, or `contacts` alone, is what every engine revision pages (with both, the
 * contacts are the schedule's fallback, as the top-level ladder has it). `schedules` (revision 6) pages the
 * on-call of each and every contact beside them.
 */
export interface ResolvedRule {
  name: string;
  contacts: string[];
  schedule?: string;
  schedules?: string[];
  delayMs?: number;
}

export interface ResolvedLadder {
  rules: ResolvedRule[];
  repeat: number;
  afterLadder: 'repeat-last' | 'stop';
}

export interface ResolvedPolicy extends ResolvedLadder {
  name: string;
  team?: string;
  severity: Partial<Record<Severity, ResolvedLadder>>;
}

type Config = EscalationConfig & { contacts: Record<string, { name: string }> };

/** Contacts and schedules a target list pages, a team standing for its policy's first rule. */
function reach(cfg: Config, targets: readonly EscalationTarget[], seen: ReadonlySet<string>) {
  const contacts: string[] = [];
  const schedules: string[] = [];
  const add = (into: string[], v: string) => void (into.includes(v) || into.push(v));
  for (const t of targets) {
    if ('contact' in t) add(contacts, t.contact);
    else if ('schedule' in t) add(schedules, t.schedule);
    else if (!seen.has(t.team)) {
      // Cycles are refused at start-up; `seen` only keeps a broken configuration from recursing for ever.
      const policy = cfg.escalationPolicies[cfg.teams[t.team]?.escalationPolicy ?? ''];
      const first = policy?.rules[0];
      if (!first) continue;
      const inner = reach(cfg, first.targets, new Set([...seen, t.team]));
      inner.contacts.forEach((c) => add(contacts, c));
      inner.schedules.forEach((s) => add(schedules, s));
    }
  }
  return { contacts, schedules };
}

function describe(cfg: Config, t: EscalationTarget): string {
  if ('contact' in t) return cfg.contacts[t.contact]?.name ?? t.contact;
  if ('schedule' in t) return `schedule ${t.schedule}`;
  return `team ${cfg.teams[t.team]?.name ?? t.team}`;
}

function resolveRule(
  cfg: Config,
  r: { name?: string; delay?: number; targets: EscalationTarget[] },
): ResolvedRule {
  const { contacts, schedules } = reach(cfg, r.targets, new Set());
  const name = r.name ?? r.targets.map((t) => describe(cfg, t)).join(' + ');
  const delay = r.delay === undefined ? {} : { delayMs: r.delay };
  if (schedules.length === 1 && contacts.length === 0)
    return { name, contacts, schedule: schedules[0], ...delay };
  if (schedules.length === 0) return { name, contacts, ...delay };
  return { name, contacts, schedules, ...delay };
}

function resolveLadder(
  cfg: Config,
  l: {
    rules: { name?: string; delay?: number; targets: EscalationTarget[] }[];
    repeat: number;
    afterLadder: ResolvedLadder['afterLadder'];
  },
): ResolvedLadder {
  return { rules: l.rules.map((r) => resolveRule(cfg, r)), repeat: l.repeat, afterLadder: l.afterLadder };
}

/** The named policy resolved (`default`: the top-level ladder); undefined when no such policy exists. */
export function resolvePolicy(cfg: Config, name: string): ResolvedPolicy | undefined {
  if (name === DEFAULT_POLICY) {
    const { ladder, repeat, afterLadder } = cfg.escalation;
    return {
      name,
      rules: ladder.map((l) => ({
        name: l.name,
        contacts: l.contacts,
        ...(l.schedule === undefined ? {} : { schedule: l.schedule }),
      })),
      repeat,
      afterLadder,
      severity: {},
    };
  }
  const p = Object.hasOwn(cfg.escalationPolicies, name) ? cfg.escalationPolicies[name] : undefined;
  if (!p) return undefined;
  const severity: ResolvedPolicy['severity'] = {};
  for (const [s, l] of Object.entries(p.severity)) severity[s as Severity] = resolveLadder(cfg, l!);
  return { name, ...resolveLadder(cfg, p), severity };
}

/** The team of a service, if it names one. */
export function teamOf(cfg: EscalationConfig, service: string): string | undefined {
  return Object.hasOwn(cfg.services, service) ? cfg.services[service].team : undefined;
}

/** The policy a service's incidents follow: its own, its team's, else the top-level ladder. */
export function policyOf(cfg: Config, service: string): ResolvedPolicy {
  const team = teamOf(cfg, service);
  const svc = Object.hasOwn(cfg.services, service) ? cfg.services[service] : undefined;
  const name = svc?.escalationPolicy ?? (team === undefined ? undefined : cfg.teams[team]?.escalationPolicy);
  const policy =
    (name === undefined ? undefined : resolvePolicy(cfg, name)) ?? resolvePolicy(cfg, DEFAULT_POLICY)!;
  return team === undefined ? policy : { ...policy, team };
}

/** The schedules a rule pages. */
export function ruleSchedules(rule: Pick<ResolvedRule, 'schedule' | 'schedules'>): string[] {
  return rule.schedules ?? (rule.schedule === undefined ? [] : [rule.schedule]);
}

/**
 * Everyone the rules may page: their contacts, and every participant of their schedules (overrides aside:
 * they may hand the pager to anyone).
 */
export function rulePeople(
  cfg: { schedules: Record<string, { layers: { participants: string[] }[] }> },
  rules: readonly Pick<ResolvedRule, 'contacts' | 'schedule' | 'schedules'>[],
): string[] {
  const rotating = (name: string) =>
    Object.hasOwn(cfg.schedules, name) ? cfg.schedules[name].layers.flatMap((l) => l.participants) : [];
  return [...new Set(rules.flatMap((r) => [...r.contacts, ...ruleSchedules(r).flatMap(rotating)]))];
}

/** Every ladder of every policy, with the path it came from (for reachability and default approvers). */
export function everyLadder(cfg: Config): { path: string; ladder: ResolvedLadder }[] {
  return [DEFAULT_POLICY, ...Object.keys(cfg.escalationPolicies)].flatMap((name) => {
    const p = resolvePolicy(cfg, name)!;
    const base = name === DEFAULT_POLICY ? 'escalation.ladder' : `escalationPolicies.${name}.rules`;
    return [
      { path: base, ladder: p },
      ...Object.entries(p.severity).map(([s, l]) => ({
        path: `escalationPolicies.${name}.severity.${s}.rules`,
        ladder: l!,
      })),
    ];
  });
}

/** Rules that only revision 6 pages as written: refused under an older configured revision, naming the rule. */
export function checkPolicyRevision(cfg: Config, issue: Issue): void {
  if (cfg.engine.revision >= POLICY_REVISION) return;
  for (const { path, ladder } of everyLadder(cfg)) {
    if (path === 'escalation.ladder') continue;
    ladder.rules.forEach((r, i) => {
      if (r.delayMs === undefined && r.schedules === undefined) return;
      issue(
        [...path.split('.'), i],
        `${r.delayMs === undefined ? 'a rule that pages several schedules, or contacts beside a schedule' : 'a rule with a "delay"'} needs engine.revision ${POLICY_REVISION}: set it once every worker runs a release that knows it (docs/escalation.md)`,
      );
    });
  }
}
