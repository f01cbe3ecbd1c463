/** Revision 9: a notification rule's follow-up goes out (`follow-ups.ts` keeps them; this only delivers). */
import { formatElapsed } from '../../domain/policy';
import * as effects from './effects';
import { stillWanted } from './follow-ups';
import { deliver } from './send-page';
import { record, type IncidentState } from './state';

/** Effect: the first due follow-up goes out (or is dropped as moot); its outcome is in the timeline. */
export async function runFollowUp(state: IncidentState): Promise<void> {
  const f = state.followUps?.shift();
  if (!f || !stillWanted(state, f)) return;
  const after = formatElapsed(f.dueAt - f.pagedAt);
  const result = await deliver(state, `following up with ${f.contact} by ${f.channel}`, () =>
    effects.followUpContact(state, f),
  );
  record(
    state,
    Date.now(),
    'notified',
    `${result.delivered ? 'followed up with' : 'follow-up NOT delivered to'} ${f.contact} by ${f.channel}, ${after} after the page to ${f.levelName} (their rule ${f.rule + 1}) — ${result.detail}`,
  );
}
