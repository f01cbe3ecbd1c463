/**
 * Added responders (engine revision 7), as state transitions: a request to page a team, a person or a
 * schedule is read from the configuration (an activity), then walks its own ladder beside the incident's,
 * at its levels' delays (else the severity's response time), until someone it answers for acknowledges,
 * its ladder runs out, or the incident closes. Pure: the workflow passes `now`.
 */
import { formatElapsed } from '../../domain/policy';
import {
  describeTarget,
  isPerson,
  MAX_RESPONDER_REQUESTS,
  responderTargetOf,
  type ResponderPlan,
  type ResponderRequest,
  type ResponderTarget,
  type ResponderView,
} from '../../domain/responders';
import { ladderPosition, severityRule } from './ladder';
import { iso, record, type IncidentState } from './state';
import { revisionAtLeast } from './transitions';

export const RESPONDER_REVISION = 7;

type CommandArgs = Record<string, unknown> | null | undefined;

/** While an incident is open its responders are paged; resolved, monitored, cancelled or suppressed, not. */
const paging = (state: IncidentState) =>
  state.status === 'triggered' || state.status === 'acknowledged' || state.status === 'mitigating';

const open = (r: ResponderRequest) => r.answeredBy === null && r.ended === null;

/** Why `page` is refused now, or null. */
export function pageRefusal(state: IncidentState, args: CommandArgs): string | null {
  if (!revisionAtLeast(state, RESPONDER_REVISION))
    return `adding a responder needs engine revision ${RESPONDER_REVISION}; this incident runs revision ${state.policy?.revision ?? 1}`;
  const target = responderTargetOf(args);
  if (typeof target === 'string') return target;
  if (state.status === 'resolved') return 'incident is already resolved';
  if (state.status === 'monitoring') return 'incident is being monitored after resolve';
  if (!paging(state)) return `incident is ${state.status}: nobody is paged`;
  const requests = state.responders ?? [];
  const same = requests.find(
    (r) => open(r) && r.target.kind === target.kind && r.target.name === target.name,
  );
  if (same) return `${describeTarget(target)} is already being paged (asked by ${same.by})`;
  if (requests.length >= MAX_RESPONDER_REQUESTS)
    return `this incident has had ${MAX_RESPONDER_REQUESTS} responder requests, the most it keeps`;
  return null;
}

export function applyPage(state: IncidentState, by: string, args: CommandArgs, now: number): string {
  const target = responderTargetOf(args) as ResponderTarget;
  (state.responders ??= []).push({
    target,
    by,
    at: now,
    plan: null,
    step: 0,
    nextAt: null,
    answeredBy: null,
    ended: null,
  });
  record(state, now, 'escalated', `responder requested: paging ${describeTarget(target)}`, { actor: by });
  return `paging ${describeTarget(target)} until someone from it acknowledges`;
}

/**
 * The request to act on now: one to read from the configuration, one whose next page is due, or one whose
 * last page went unanswered for its wait (it ends, saying so).
 */
export function responderDue(
  state: IncidentState,
  now: number,
): { index: number; action: 'plan' | 'page' | 'end' } | null {
  if (!paging(state)) return null;
  const requests = state.responders ?? [];
  for (let index = 0; index < requests.length; index++) {
    const r = requests[index];
    if (!open(r)) continue;
    if (!r.plan) return { index, action: 'plan' };
    if (r.nextAt !== null && r.nextAt <= now)
      return { index, action: ladderPosition(r.plan.ladder, r.step) ? 'page' : 'end' };
  }
  return null;
}

/** When the next responder page is due, for the loop's wait. */
export function responderWakeAt(state: IncidentState): number | null {
  if (!paging(state)) return null;
  const due = (state.responders ?? []).filter(open).flatMap((r) => (r.nextAt === null ? [] : [r.nextAt]));
  return due.length ? Math.min(...due) : null;
}

/** The configuration's answer for request `index`: its plan (paged at once), or why it cannot be paged. */
export function responderPlanned(
  state: IncidentState,
  index: number,
  plan: ResponderPlan | { refused: string },
  now: number,
): void {
  const r = state.responders![index];
  if ('refused' in plan) {
    r.ended = plan.refused;
    record(state, now, 'error', `cannot page ${describeTarget(r.target)}: ${plan.refused}`);
    return;
  }
  r.plan = plan;
  r.nextAt = ladderPosition(plan.ladder, 0) ? now : null;
  if (r.nextAt === null) {
    r.ended = `${plan.label} has nobody to page`;
    record(state, now, 'error', `cannot page ${plan.label}: its ladder has no levels`);
  }
}

/** The shortest wait between a responder's pages, whatever the configuration says. */
const MIN_WAIT_MS = 60_000;

/**
 * The page of request `index` that is due: its level, and the request moved on to its next step (before the
 * page goes out, so a page that fails is not sent again and again).
 */
export function takeResponderPage(state: IncidentState, index: number, now: number) {
  const r = state.responders![index];
  const plan = r.plan!;
  const at = ladderPosition(plan.ladder, r.step)!;
  const level = plan.ladder.ladder[at.level];
  const waited = r.step === 0 ? 0 : waitAfter(state, plan, r.step - 1);
  const dueAt = r.nextAt ?? now;
  r.step += 1;
  r.nextAt = Math.max(dueAt + waitAfter(state, plan, r.step - 1), now + 1);
  const reason =
    r.step === 1
      ? `responder requested by ${r.by}: paging ${plan.label}`
      : `${plan.label} has not acknowledged within ${formatElapsed(waited)}: paging ${level.name}`;
  return { level, round: at.round, reason };
}

/** How long a responder's page at `step` waits for an answer: its level's delay, else the response time. */
function waitAfter(state: IncidentState, plan: ResponderPlan, step: number): number {
  const at = ladderPosition(plan.ladder, step);
  const wait = (at && plan.ladder.ladder[at.level].delayMs) ?? severityRule(state)?.respondWithinMs ?? 0;
  return Math.max(wait, MIN_WAIT_MS);
}

/** The last page of request `index` went unanswered: it ends, and the timeline says so. */
export function responderRanOut(state: IncidentState, index: number, now: number): void {
  const r = state.responders![index];
  r.nextAt = null;
  r.ended = `nobody from ${r.plan!.label} acknowledged after ${r.step} page${r.step === 1 ? '' : 's'}: its ladder ran out`;
  record(state, now, 'escalated', r.ended);
}

/** Requests the actor answers for, by name or id, that still wait for an answer. */
export function answerable(state: IncidentState, by: string): ResponderRequest[] {
  if (!revisionAtLeast(state, RESPONDER_REVISION)) return [];
  return (state.responders ?? []).filter(
    (r) => r.answeredBy === null && r.plan?.people.some((p) => isPerson(by, p)),
  );
}

/** The actor's acknowledgement answers every request it is one of the people of. */
export function answerResponders(state: IncidentState, by: string, now: number): number {
  const answered = answerable(state, by);
  for (const r of answered) {
    r.answeredBy = by;
    r.nextAt = null;
    r.ended = null;
    record(state, now, 'acknowledged', `joined as responder for ${r.plan!.label}: paging it stopped`, {
      actor: by,
    });
  }
  return answered.length;
}

export function responderViews(state: IncidentState): ResponderView[] {
  return (state.responders ?? []).map((r) => ({
    target: r.target,
    label: r.plan?.label ?? describeTarget(r.target),
    requestedBy: r.by,
    requestedAt: iso(r.at)!,
    pages: r.step,
    nextPageAt: open(r) && paging(state) ? iso(r.nextAt) : null,
    answeredBy: r.answeredBy,
    ended: r.ended,
  }));
}
