/**
 * Carries out revision 7's people effects: a responder request's (reads its target from the configuration,
 * pages its next level, or ends it when its last page went unanswered) and a reassignment's.
 */
import { RESPONDER_LEVEL } from '../../domain/responders';
import * as effects from './effects';
import { describeError } from './effects';
import { reassigned } from './reassign';
import { responderPlanned, responderRanOut, takeResponderPage } from './responders';
import { pageLevel } from './send-page';
import type { IncidentState } from './state';

/** A configuration lookup that failed past its retries: its request ends, saying why. */
const unreadable = (err: unknown) => ({
  refused: `the configuration could not be read (${describeError(err)})`,
});

export async function runResponder(
  state: IncidentState,
  index: number,
  action: 'plan' | 'page' | 'end',
  now: number,
): Promise<void> {
  switch (action) {
    case 'plan': {
      const { target } = state.responders![index];
      const plan = await effects.responderPlan(state, target).catch(unreadable);
      return responderPlanned(state, index, plan, Date.now());
    }
    case 'page': {
      const { level, round, reason } = takeResponderPage(state, index, now);
      return pageLevel(state, level, { level: RESPONDER_LEVEL, channel: 'page', reason, round });
    }
    case 'end':
      return responderRanOut(state, index, now);
  }
}

/** Reads the team a reassignment names from the configuration; its policy takes over the incident. */
export async function runReassign(state: IncidentState): Promise<void> {
  const { team } = state.pendingReassign!;
  const policy = await effects.teamPolicy(team).catch(unreadable);
  return reassigned(state, policy, Date.now());
}
