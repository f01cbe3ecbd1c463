/**
 * Every timing rule of the escalation ladder, written once: when the next rung is due, which rung is due
 * after downtime (overdue rungs collapse into one), re-timing on a severity change, the acknowledgement
 * timeout, and the status-update cadence. Pure: `now` is passed in.
 */
import {
  escalationReason,
  escalationStep,
  formatElapsed,
  type LadderLevel,
  type PolicyLadder,
  type SeverityRule,
} from '../../domain/policy';
import { nextBusinessInstant } from '../../domain/oncall';
import type { IncidentState } from './state';

export function severityRule(state: Pick<IncidentState, 'policy' | 'input'>): SeverityRule | undefined {
  return state.policy?.severity[state.input.severity];
}

/** A ladder page that is due now: which step, which level, on which channel, and why. */
export interface DueRung {
  step: number;
  level: number;
  round: number;
  channel: 'page' | 'slack';
  reason: string;
  /** When the paged rung was due: the next one is anchored to it, so the ladder never drifts. */
  dueAt: number;
}

/** How many missed rungs a page's reason names; the rest are counted. */
const MAX_MISSED_NAMED = 20;

/** Revision 6 runs a policy's per-severity ladders and per-level delays. */
const POLICY_REVISION = 6;

/** The ladder the incident walks now: on revision 6, the policy's ladder for its current severity. */
export function activeLadder(state: Pick<IncidentState, 'policy' | 'input'>): PolicyLadder | undefined {
  const policy = state.policy;
  if (!policy) return undefined;
  if ((policy.revision ?? 1) < POLICY_REVISION) return policy;
  return policy.bySeverity?.[state.input.severity] ?? policy;
}

/**
 * Where the `step`-th page (0-based) of the ladder goes, or null when nobody is left to page. Once the
 * ladder and its repeats are walked, `afterLadder: repeat-last` pages the last level again at every step.
 */
export function ladderPosition(
  policy: PolicyLadder,
  step: number,
): { level: number; round: number; beyond: boolean } | null {
  const at = escalationStep(policy.ladder.length, policy.repeat, step);
  if (at) return { ...at, beyond: false };
  if (policy.afterLadder !== 'repeat-last' || step < 0 || policy.ladder.length === 0) return null;
  return { level: policy.ladder.length - 1, round: Math.floor(step / policy.ladder.length), beyond: true };
}

/** The last step the ladder has (Infinity when the last level repeats for ever). */
function lastStep(policy: PolicyLadder): number {
  return policy.afterLadder === 'repeat-last' ? Infinity : policy.ladder.length * (policy.repeat + 1) - 1;
}

/** How long after the page of `step` the next is due: the level's delay (revision 6), else respondWithin. */
function waitAfter(state: IncidentState, ladder: PolicyLadder, step: number, rule: SeverityRule): number {
  if ((state.policy?.revision ?? 1) < POLICY_REVISION) return rule.respondWithinMs;
  const at = ladderPosition(ladder, step);
  return (at && ladder.ladder[at.level].delayMs) ?? rule.respondWithinMs;
}

/**
 * The step due at `now` from `first` (due at `firstDue`) and when it fell due: every wait passed moves one
 * step on, up to `last`. Arithmetic where the waits are equal (always, before revision 6; past the walked
 * ladder, where the last level repeats): a month of downtime on a 1 s rung is one division.
 */
function stepDueAt(
  state: IncidentState,
  ladder: PolicyLadder,
  rule: SeverityRule,
  first: number,
  firstDue: number,
  now: number,
): { step: number; dueAt: number; dueOf: (s: number) => number } {
  const steady = (s: number) =>
    (state.policy?.revision ?? 1) < POLICY_REVISION || s >= ladder.ladder.length * (ladder.repeat + 1) - 1;
  const last = Math.max(first, lastStep(ladder));
  const dues = [firstDue];
  let step = first;
  let due = firstDue;
  while (step < last) {
    const wait = waitAfter(state, ladder, step, rule);
    if (wait <= 0 || due + wait > now) break;
    if (steady(step)) {
      const n = Math.min(Math.floor((now - due) / wait), last - step);
      const from = { step, due };
      return {
        step: step + n,
        dueAt: due + n * wait,
        dueOf: (s) => (s <= from.step ? dues[s - first] : from.due + (s - from.step) * wait),
      };
    }
    step++;
    due += wait;
    dues.push(due);
  }
  return { step, dueAt: due, dueOf: (s) => dues[s - first] };
}

/**
 * The rung to page now, if one is due. When several fell due while nobody could page (worker down), they
 * collapse into the one due last, and the reason names the ones missed.
 */
export function dueRung(state: IncidentState, now: number): DueRung | null {
  const rule = severityRule(state);
  const ladder = activeLadder(state);
  if (!rule || !ladder || state.status !== 'triggered' || state.nextEscalationAt === null) return null;
  if (now < state.nextEscalationAt) return null;
  const first = state.ladderStep;
  if (!ladderPosition(ladder, first)) return null;
  // Later rungs are due a wait after each other, and only when the severity escalates.
  const { step, dueAt, dueOf } = rule.escalate
    ? stepDueAt(state, ladder, rule, first, state.nextEscalationAt, now)
    : { step: first, dueAt: state.nextEscalationAt, dueOf: () => state.nextEscalationAt! };
  const missed: string[] = [];
  for (let s = first; s < step && missed.length < MAX_MISSED_NAMED; s++) {
    const skipped = ladderPosition(ladder, s)!;
    missed.push(`${ladder.ladder[skipped.level].name} (due ${formatElapsed(dueOf(s) - state.createdAt)})`);
  }
  if (step - first > missed.length) missed.push(`${step - first - missed.length} more`);
  const at = ladderPosition(ladder, step)!;
  const level = ladder.ladder[at.level];
  const channel = step === 0 && rule.notify === 'slack' ? 'slack' : 'page';
  const waited = step === 0 ? rule.respondWithinMs : waitAfter(state, ladder, step - 1, rule);
  let reason =
    step === 0 && rule.notify === 'ticket'
      ? `not acknowledged within the ${state.input.severity} response time of ${formatElapsed(rule.respondWithinMs)}: paging ${level.name}`
      : at.beyond
        ? `no acknowledgement within ${formatElapsed(waited)} after the whole ladder: paging ${level.name} again (escalation.afterLadder: repeat-last)`
        : escalationReason(step, level.name, waited, at.round);
  if (missed.length) reason += `; missed while no worker could page: ${missed.join(', ')}`;
  return { step, level: at.level, round: at.round, channel, reason, dueAt };
}

/**
 * When the rung after the page of step `pagedStep` is due, counted from `from`; null when the severity
 * does not escalate or nobody is left to page.
 */
export function rungAfter(state: IncidentState, pagedStep: number, from: number): number | null {
  const rule = severityRule(state);
  const ladder = activeLadder(state);
  if (!rule?.escalate || state.status !== 'triggered' || !ladder) return null;
  return ladderPosition(ladder, pagedStep + 1) ? from + waitAfter(state, ladder, pagedStep, rule) : null;
}

/**
 * When the first rung of a (re)opened incident is due: at once, except for a ticket-only severity, whose
 * response time is enforced by paging the first level when it passes unacknowledged.
 */
export function firstRungDue(state: IncidentState, openedAt: number): number | null {
  const rule = severityRule(state);
  if (!rule || state.status !== 'triggered') return null;
  return rule.notify === 'ticket' ? openedAt + rule.respondWithinMs : openedAt;
}

/** After a severity change at `now`: the response clock restarts by the new severity's policy. */
export function retimeAfterSeverityChange(state: IncidentState, now: number): number | null {
  if (state.status !== 'triggered') return null;
  return state.ladderStep === 0 ? firstRungDue(state, now) : rungAfter(state, state.ladderStep - 1, now);
}

export function ackExpiry(state: IncidentState, now: number): number | null {
  const timeout = severityRule(state)?.ackTimeoutMs;
  return typeof timeout === 'number' && timeout > 0 ? now + timeout : null;
}

export function ackExpired(state: IncidentState, now: number): boolean {
  return (
    (state.status === 'acknowledged' || state.status === 'mitigating') &&
    state.ackExpiresAt !== null &&
    now >= state.ackExpiresAt
  );
}

/** The level an expired acknowledgement re-alerts: the last ladder level paged (the acknowledger's). */
export function acknowledgerLevel(state: IncidentState): number {
  const last = [...state.paged].reverse().find((p) => p.level >= 0);
  return last?.level ?? 0;
}

const UPDATING: readonly IncidentState['status'][] = ['triggered', 'acknowledged', 'mitigating'];

/** When the first status update is due from `from`; null when this severity posts none or the state does not. */
export function statusUpdateFrom(state: IncidentState, from: number): number | null {
  const every = severityRule(state)?.statusUpdateEveryMs;
  return every && UPDATING.includes(state.status) ? from + every : null;
}

/**
 * After posting the update that was due at `dueAt`: the next one on the same cadence, after `now`, so
 * updates missed while no worker ran collapse into the one just posted.
 */
export function statusUpdateAfter(state: IncidentState, dueAt: number, now: number): number | null {
  const every = severityRule(state)?.statusUpdateEveryMs;
  if (!every || !UPDATING.includes(state.status)) return null;
  const periods = Math.floor((now - dueAt) / every) + 1;
  return dueAt + Math.max(1, periods) * every;
}

/** Revision 7: business hours, where the severity keeps to them. */
const BUSINESS_HOURS_REVISION = 7;

/**
 * When a page due now to `level` must wait for business hours instead (revision 7, a severity with
 * `businessHoursOnly`, a level whose schedules have business hours): the earliest instant one of them opens,
 * and why, for the timeline. Null: page now.
 */
export function afterHours(
  state: IncidentState,
  level: LadderLevel,
  now: number,
): { until: number; why: string } | null {
  if ((state.policy?.revision ?? 1) < BUSINESS_HOURS_REVISION || !severityRule(state)?.businessHoursOnly)
    return null;
  const schedules = [...(level.schedules ?? []), ...(level.schedule ? [level.schedule] : [])].filter(
    (s) => s.businessHours,
  );
  if (!schedules.length) return null;
  const until = Math.min(...schedules.map((s) => nextBusinessInstant(s, now)));
  if (until <= now) return null;
  const hours = schedules
    .map(
      (s) =>
        `${s.name}: ${s.businessHours!.days.join(' ')} ${s.businessHours!.from}–${s.businessHours!.to} ${s.timeZone}`,
    )
    .join('; ');
  return {
    until,
    why: `${state.input.severity} pages in business hours only (${hours}): ${level.name} is paged at ${new Date(until).toISOString()}, the next business day's start`,
  };
}

/** A paged level: security -1, management -2, else the active ladder's (its last, if a severity change shortened it). */
export function policyLevel(state: Pick<IncidentState, 'policy' | 'input'>, level: number): LadderLevel {
  const policy = state.policy!;
  if (level === -1) return policy.security;
  if (level === -2) return policy.management;
  const { ladder } = activeLadder(state)!;
  return ladder[Math.min(level, ladder.length - 1)];
}
