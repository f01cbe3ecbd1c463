/**
 * The carried state's byte bound. Continue-as-new carries the whole state in one payload, and Temporal
 * refuses a payload over 2 MB: the run could then never hand over, and its history would grow to the 50 MB
 * limit, where Temporal terminates it. The configuration's bounds keep ordinary text well below this; text of
 * many-byte characters (every alert field and note can carry some) is trimmed here, oldest first.
 */
import {
  CONFIGURABLE_STATE_BYTES,
  SOURCE_ALERT_BYTES,
  STATE_BYTE_BOUND,
  TIMELINE_ENTRY_BYTES,
} from '../../domain/state-limits';
import type { IncidentState } from './state';

export { CONFIGURABLE_STATE_BYTES, SOURCE_ALERT_BYTES, STATE_BYTE_BOUND, TIMELINE_ENTRY_BYTES };

/** Pages kept when the state must shrink: the newest, which the ladder and the review read. */
const KEEP_PAGES = 50;

/** UTF-8 bytes of the state as the payload converter writes it (JSON). */
export function stateBytes(state: IncidentState): number {
  const json = JSON.stringify(state);
  let bytes = json.length;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    // One byte counted already: two more for U+0800 and above (a surrogate pair is 4 bytes for 2 units).
    if (c >= 0x80) bytes += c >= 0x800 && (c < 0xd800 || c > 0xdfff) ? 2 : 1;
  }
  return bytes;
}

/** An answered or ended responder request never pages again: its ladder can go (its label and people stay). */
function dropEndedResponderLadder(state: IncidentState): boolean {
  const done = state.responders?.find(
    (r) => (r.answeredBy !== null || r.ended !== null) && r.plan && r.plan.ladder.ladder.length,
  );
  if (!done) return false;
  done.plan!.ladder = { ...done.plan!.ladder, ladder: [] };
  return true;
}

/**
 * Trims the state until it fits its bound: the least needed first (Slack lines not yet posted, details of
 * old alerts, old timeline entries, which the journal keeps when it can, old pages). Returns what went, for
 * the timeline; empty when the state already fit.
 */
export function fitState(state: IncidentState, bound = STATE_BYTE_BOUND): string[] {
  const trimmed: string[] = [];
  const shrinkers: Array<[string, () => boolean]> = [
    ['unposted Slack lines', () => !!state.outbox.shift() && ((state.outboxDropped += 1), true)],
    [
      'journal entries not yet written',
      () => !!state.journalQueue?.shift() && ((state.timelineDropped += 1), true),
    ],
    [
      'timeline entries not yet in the store',
      () =>
        !!state.storeLane?.queue.shift() && ((state.storeLane.next += 1), (state.storeLane.lost += 1), true),
    ],
    ['alert details', () => !!state.alerts.shift() && ((state.alertsDropped += 1), true)],
    [
      'timeline entries',
      () =>
        state.timeline.length > 1 &&
        !!state.timeline.splice(1, 1).length &&
        ((state.timelineDropped += 1), true),
    ],
    ['known alert fingerprints', () => !!state.alertStatus.shift()],
    ['page records', () => state.paged.length > KEEP_PAGES && !!state.paged.shift()],
    ['ladders of added responders no longer paged', () => dropEndedResponderLadder(state)],
  ];
  let bytes = stateBytes(state);
  for (const [what, shrink] of shrinkers) {
    if (bytes <= bound) break;
    let count = 0;
    // Doubling the step keeps this to a few dozen measurements for a state of any size.
    for (let took = 1; took > 0 && bytes > bound; bytes = stateBytes(state)) {
      const step = Math.max(1, count);
      for (took = 0; took < step && shrink(); took++);
      count += took;
    }
    if (count) trimmed.push(`${count} ${what}`);
  }
  return trimmed;
}
