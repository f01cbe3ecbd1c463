/**
 * Revision 4's store lane, pure: what it queues, how it numbers, what a write carries and a failure costs;
 * and revision 5's writes where the loop runs: only when nothing else is due, the lane after a failure.
 */
import { toIncidentPolicy } from '../../../../activities/policy';
import { numberedEntries } from '../../../../domain/timeline';
import { decide } from '../../../../workflows/incident/decide';
import { adoptPolicy } from '../../../../workflows/incident/lifecycle';
import { initialState, MAX_STORE_QUEUE, record } from '../../../../workflows/incident/state';
import { toView } from '../../../../workflows/incident/view';
import {
  STORE_BATCH,
  STORE_DELAY_MS,
  STORE_HERE_OFF_MS,
  storeHereFailed,
  storeWriteFailed,
  storeWritten,
  takeStoreWrite,
} from '../../../../workflows/incident/store-lane';
import { addPage, pageSent } from '../../../../workflows/incident/transitions';
import { testConfig } from '../../../../scripts/testbed/config';

const T0 = Date.parse('2026-12-06T00:00:00Z');
const RUN = { continueAsNewSuggested: false, historyLength: 10, historySize: 2000 };

function opened(revision: number, keepTimelineEntries = 300) {
  const state = initialState(
    { dedupKey: 'k', service: 'checkout', scenario: 'health', severity: 'P1', summary: 's', security: false },
    { incidentId: 'incident-1', workflowId: 'wf-1' },
    T0,
  );
  record(state, T0, 'opened', 'incident opened', { announce: false });
  const config = testConfig();
  config.engine = { revision };
  const policy = toIncidentPolicy(config, 'checkout');
  policy.history = { ...policy.history!, keepTimelineEntries };
  adoptPolicy(state, policy, T0);
  return state;
}

test('revision 3 has no lane; revision 4 opens one holding what came before the policy', () => {
  expect(opened(3).storeLane).toBeUndefined();
  const lane = opened(4).storeLane!;
  expect(lane).toMatchObject({ next: 0, total: 1, busy: false, lost: 0 });
  expect(lane.queue.map((e) => e.message)).toEqual(['incident opened']);
});

test('every entry is numbered once, across writes, while the workflow keeps only the newest', () => {
  const state = opened(4, 5);
  for (let i = 1; i <= 250; i++) record(state, T0 + i, 'note', `note ${i}`, { announce: false });
  expect(state.timeline).toHaveLength(5);
  expect(state.journalQueue).toBeUndefined(); // the store has them: no journal on disk
  const written: number[] = [];
  while (state.storeLane!.queue.length) {
    const write = takeStoreWrite(state);
    expect(write.entries.length).toBeLessThanOrEqual(STORE_BATCH);
    write.entries.forEach((_, k) => written.push(write.firstSeq + k));
    storeWritten(state);
  }
  expect(written).toEqual(Array.from({ length: 251 }, (_, k) => k));
  // The view names its entries' numbers the same way: the opening, then the newest four.
  const view = toView(state);
  expect(view.timelineTotal).toBe(251);
  expect(numberedEntries(view).map(([seq, e]) => [seq, e.message])).toEqual([
    [0, 'incident opened'],
    [247, 'note 247'],
    [248, 'note 248'],
    [249, 'note 249'],
    [250, 'note 250'],
  ]);
});

test('a page is written when sent and again when answered', () => {
  const state = opened(4);
  const target = { name: 'primary', contactIds: ['alice'], contactNames: ['Alice'], onCall: null };
  const page = addPage(state, target as never, { level: 0, channel: 'page', reason: 'first rung' }, T0)!;
  expect(takeStoreWrite(state).pages).toEqual([expect.objectContaining({ seq: 1, delivered: false })]);
  storeWritten(state);
  pageSent(state, page, { delivered: true, detail: 'ok' }, T0 + 1);
  const second = takeStoreWrite(state);
  expect(second.pages).toEqual([expect.objectContaining({ seq: 1, delivered: true })]);
  expect(second.entries.map((e) => e.type)).toEqual(['page']);
});

test('a failed write is counted lost and said once until a write succeeds', () => {
  const state = opened(4);
  const first = takeStoreWrite(state);
  expect(storeWriteFailed(state, first)).toMatch(/1 timeline entries are missing/);
  record(state, T0 + 1, 'note', 'later', { announce: false });
  expect(storeWriteFailed(state, takeStoreWrite(state))).toBeNull();
  expect(state.storeLane!.lost).toBe(2);
  storeWritten(state);
  record(state, T0 + 2, 'note', 'again', { announce: false });
  expect(storeWriteFailed(state, takeStoreWrite(state))).not.toBeNull();
});

test('a long outage bounds the queue: the oldest entries make room, counted, numbering kept', () => {
  const state = opened(4);
  for (let i = 0; i < MAX_STORE_QUEUE + 20; i++) record(state, T0 + i, 'note', `n${i}`, { announce: false });
  const lane = state.storeLane!;
  expect(lane.queue).toHaveLength(MAX_STORE_QUEUE);
  expect(lane.lost).toBe(21);
  expect(lane.next + lane.queue.length).toBe(lane.total);
});

test('entries wait up to 5 s for the ones after them, so that one write carries them all', () => {
  const state = opened(4);
  state.status = 'acknowledged';
  state.nextStatusUpdateAt = null;
  record(state, T0 + 1000, 'note', 'second', { announce: false });
  expect(decide(state, T0 + 1000, RUN)).toEqual({ kind: 'wait', until: T0 + STORE_DELAY_MS });
  expect(decide(state, T0 + STORE_DELAY_MS, RUN)).toEqual({ kind: 'store' });
  expect(takeStoreWrite(state).entries.map((e) => e.message)).toEqual(['incident opened', 'second']);
  storeWritten(state);
  // A full batch goes at once.
  for (let i = 0; i < STORE_BATCH; i++) record(state, T0 + 6000, 'note', `n${i}`, { announce: false });
  expect(decide(state, T0 + 6000, RUN)).toEqual({ kind: 'store' });
});

test('the loop hands the lane one write at a time, and the review waits for the store', () => {
  const state = opened(4);
  state.status = 'resolved';
  state.closing = ['review'];
  expect(decide(state, T0, RUN)).toEqual({ kind: 'store' });
  takeStoreWrite(state);
  state.storeLane!.busy = true;
  expect(decide(state, T0, RUN).kind).toBe('wait');
  state.storeLane!.busy = false;
  expect(decide(state, T0, RUN)).toEqual({ kind: 'closing', task: 'review' });
});

describe('revision 5: the loop writes where it runs, when it has nothing else to do', () => {
  const acknowledged = () => {
    const state = opened(5);
    state.status = 'acknowledged';
    state.nextStatusUpdateAt = null;
    return state;
  };

  test('a write owed goes at once, with no timer, and only after every other effect', () => {
    const state = acknowledged();
    expect(decide(state, T0, RUN)).toEqual({ kind: 'store-here' });
    // A page due comes first: the local activity is never issued in a step that pages.
    state.status = 'triggered';
    state.nextEscalationAt = T0;
    expect(decide(state, T0, RUN).kind).toBe('page');
    state.status = 'acknowledged';
    state.nextEscalationAt = null;
    // Slack's lane is started first too; then the write.
    state.slackQueue.push({ kind: 'thread', text: 'x' });
    expect(decide(state, T0, RUN)).toEqual({ kind: 'slack' });
    state.slackBusy = true;
    expect(decide(state, T0, RUN)).toEqual({ kind: 'store-here' });
    takeStoreWrite(state);
    storeWritten(state);
    // Nothing owed: the loop waits, and for no store deadline.
    expect(decide(state, T0, RUN)).toEqual({ kind: 'wait', until: null });
  });

  test('after a failure there, writes go by the lane (batched as on revision 4) for a while, then here again', () => {
    const state = acknowledged();
    takeStoreWrite(state);
    storeHereFailed(state, T0);
    state.storeLane!.busy = true; // the failed write, handed to the lane
    expect(decide(state, T0, RUN)).toEqual({ kind: 'wait', until: null });
    state.storeLane!.busy = false;
    storeWritten(state);
    record(state, T0 + 1000, 'note', 'later', { announce: false });
    expect(decide(state, T0 + 1000, RUN)).toEqual({ kind: 'wait', until: T0 + 1000 + STORE_DELAY_MS });
    expect(decide(state, T0 + 1000 + STORE_DELAY_MS, RUN)).toEqual({ kind: 'store' });
    expect(decide(state, T0 + STORE_HERE_OFF_MS, RUN)).toEqual({ kind: 'store-here' });
  });

  test('the review waits for the write, made before Slack posts (one post at the close); revision 4 never writes here', () => {
    const state = opened(5);
    state.status = 'resolved';
    state.closing = ['review'];
    state.slackQueue.push({ kind: 'thread', text: 'resolve requested' });
    expect(decide(state, T0, RUN)).toEqual({ kind: 'store-here' });
    takeStoreWrite(state);
    storeWritten(state);
    expect(decide(state, T0, RUN)).toEqual({ kind: 'closing', task: 'review' });
    const four = opened(4);
    four.status = 'resolved';
    four.closing = ['review'];
    expect(decide(four, T0, RUN)).toEqual({ kind: 'store' });
  });
});
