/**
 * The incident engine's promises, as code: what must hold of `decide`'s answer and the state after every
 * step, whatever came before. The property tests check them after each step of random sequences; a
 * violation names the rule it breaks.
 */
import type { Effect } from './decide';
import { MAX_FOLLOW_UPS } from './follow-ups';
import { activeLadder, severityRule } from './ladder';
import type { IncidentState } from './state';
import { STATE_BYTE_BOUND, stateBytes } from './state-bound';
import { storeUnwritten } from './store-lane';
import { revisionAtLeast } from './transitions';

const PAGING: readonly Effect['kind'][] = ['page', 'escalate-now', 'page-owed', 're-alert'];

export function invariantViolations(state: IncidentState, effect: Effect, now: number): string[] {
  const broken: string[] = [];
  if (effect.kind === 'wait' && effect.until !== null && effect.until <= now)
    broken.push(`decide waits on ${new Date(effect.until).toISOString()}, which is not after now`);
  if ((state.status === 'cancelled' || state.status === 'resolved') && PAGING.includes(effect.kind))
    broken.push(`a ${state.status} incident pages (${effect.kind})`);
  // What a settled triggered incident (nothing left to do but wait) owes its people.
  if (effect.kind === 'wait' && state.policy && state.status === 'triggered') {
    const future = state.nextEscalationAt !== null && state.nextEscalationAt > now;
    if (!future && revisionAtLeast(state, 2) && !state.ladderExhausted)
      broken.push('triggered with no rung due and no stated end of the ladder');
    if (!future && severityRule(state)?.escalate && activeLadder(state)?.afterLadder === 'repeat-last')
      broken.push('escalation.afterLadder is repeat-last, yet no rung is due');
  }
  // Revision 7: an added responder is paged until answered, run out, or the incident stops paging.
  if (effect.kind === 'wait' && ['triggered', 'acknowledged', 'mitigating'].includes(state.status))
    for (const r of state.responders ?? [])
      if (r.answeredBy === null && r.ended === null && !(r.plan && r.nextAt !== null && r.nextAt > now))
        broken.push(`responder ${r.target.kind} ${r.target.name} waits with no page due`);
  // Revision 9: a waiting follow-up is never slept past, and the queue stays in due order within its bound.
  const followUps = state.followUps ?? [];
  if (
    effect.kind === 'wait' &&
    followUps.length &&
    (effect.until === null || effect.until > followUps[0].dueAt)
  )
    broken.push('the loop sleeps past a follow-up that is due');
  if (
    followUps.length > MAX_FOLLOW_UPS ||
    followUps.some((f, i) => i > 0 && f.dueAt < followUps[i - 1].dueAt)
  )
    broken.push('the follow-ups are over their bound or out of due order');
  // Revision 4: every entry is numbered once, and the review and the end wait for the store.
  const lane = state.storeLane;
  if (lane && !lane.busy && lane.next + lane.queue.length !== lane.total)
    broken.push(`the store lane accounts for ${lane.next + lane.queue.length} of ${lane.total} entries`);
  if (effect.kind === 'complete' && storeUnwritten(state))
    broken.push('the incident completes before the store has every entry');
  if (effect.kind === 'closing' && effect.task === 'review' && storeUnwritten(state))
    broken.push('the review is built before the store has every entry');
  const bytes = stateBytes(state);
  if (bytes > STATE_BYTE_BOUND) broken.push(`the state is ${bytes} bytes, over ${STATE_BYTE_BOUND}`);
  return broken;
}
