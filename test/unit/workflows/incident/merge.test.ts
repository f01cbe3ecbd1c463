/** Revision 8: `merge {into}` closes an incident into another, which its alert group feeds from then on. */
import { commandTaken, refusal } from '../../../../workflows/incident/commands';
import { toView } from '../../../../workflows/incident/view';
import { decide } from '../../../../workflows/incident/decide';
import { merged } from '../../../../workflows/incident/merge';
import { testConfig } from '../../../../scripts/testbed/config';
import { deliver, drain, openModel } from '../../../support/engine-model';
import type { IncidentState } from '../../../../workflows/incident/state';

const T0 = Date.parse('2026-12-07T00:00:00Z');
const MIN = 60_000;
const alert = (fingerprint: string, status: 'firing' | 'resolved' = 'firing') => ({
  fingerprint,
  status,
  summary: `alert ${fingerprint}`,
  source: 'alertmanager',
  labels: {},
  startsAt: new Date(T0).toISOString(),
});

function opened(revision = 8): IncidentState {
  const state = openModel(testConfig({ engine: { revision } }), 'P2', T0);
  drain(state, T0, []);
  return state;
}
const merge = (state: IncidentState, args: object, now = T0 + MIN, update = true) =>
  deliver(state, { kind: 'command', name: 'merge', args, update }, now);

test('merged: closed as "merged into …", paging stopped, the group’s later alerts held for the other incident', () => {
  const state = opened();
  deliver(state, { kind: 'alert', payload: { alerts: [alert('a1')] } }, T0);
  expect(merge(state, { by: 'amy', into: 'incident-00000000000000000002-1a2b3c4d' })).toBeNull();
  const pages: unknown[] = [];
  drain(state, T0 + MIN, pages as never);
  const view = toView(state);
  expect([view.status, view.resolvedBy, view.resolutionSummary, view.mergedInto]).toEqual([
    'resolved',
    'amy',
    'merged into incident-00000000000000000002-1a2b3c4d',
    'incident-00000000000000000002-1a2b3c4d',
  ]);
  expect(state.timeline.filter((e) => e.type === 'resolved').map((e) => e.message)).toEqual([
    'merged into incident-00000000000000000002-1a2b3c4d: its alerts and this alert group feed it from now on',
  ]);
  // Nothing pages after the merge, however long it waits.
  drain(state, T0 + 600 * MIN, pages as never);
  expect(pages).toEqual([]);
  // A resend of the group while forwarding: held for the other incident (the model forwards it), never ingested.
  deliver(state, { kind: 'alert', payload: { alerts: [alert('a2')] } }, T0 + 601 * MIN);
  expect(state.mergedInto!.forward.map((a) => a.fingerprint)).toEqual(['a2']);
  drain(state, T0 + 601 * MIN, pages as never);
  expect(state.mergedInto!.forward).toEqual([]);
  expect(state.alerts.map((a) => a.fingerprint)).toEqual(['a1']);
  expect(state.status).toBe('resolved');
});

test('refused: older revisions, no target, itself, twice, a closed incident; an incident that is gone says so', () => {
  const old = opened(7);
  expect(commandTaken(old, 'merge')).toBe(false);
  expect(merge(old, { by: 'amy', into: 'incident-2' })).toBe(
    'merging needs engine revision 8; this incident runs revision 7',
  );
  const state = opened();
  expect(merge(state, { by: 'amy' })).toBe('into: the incident to merge into');
  expect(merge(state, { by: 'amy', into: { toString: 'x' } })).toBe('into: the incident to merge into');
  expect(merge(state, { by: 'amy', into: 'incident-1' })).toBe(
    'into: an incident cannot be merged into itself',
  );
  expect(merge(state, { by: 'amy', into: 'wf-1' })).toBe('into: an incident cannot be merged into itself');
  // The other incident is closed: nothing changes but the timeline, which says why.
  expect(merge(state, { by: 'amy', into: 'incident-gone' })).toBeNull();
  expect(merge(state, { by: 'amy', into: 'incident-3' })).toBe('a merge into incident-gone is under way');
  drain(state, T0 + MIN, []);
  expect(state.status).toBe('triggered');
  expect(state.timeline.at(-1)!.message).toBe('cannot merge into incident-gone: no open incident took it');
  expect(merge(state, { by: 'amy', into: 'incident-3' })).toBeNull();
  drain(state, T0 + MIN, []);
  expect(refusal(state, 'merge', { by: 'amy', into: 'incident-4' })).toBe(
    'incident is already merged into incident-3',
  );
  // A Signal that is refused is recorded as ignored, with why.
  merge(state, { by: 'bob', into: 'incident-4' }, T0 + 2 * MIN, false);
  expect(state.timeline.at(-1)!.message).toBe('ignored merge: incident is already merged into incident-3');
});

test('the other incident closed: an alert caught before this one was told opens a new incident, once its close is done', () => {
  const state = opened();
  merge(state, { by: 'amy', into: 'incident-3' });
  merged(state, null, T0 + MIN); // the other incident took the alerts (the merge effect's answer)
  const run = { continueAsNewSuggested: false, historyLength: 0, historySize: 0 };
  // Told at once that the other incident closed, with the merged incident's own close still to run.
  state.mergedInto!.ended = true;
  deliver(state, { kind: 'alert', payload: { alerts: [alert('late')] } }, T0 + MIN);
  expect(decide(state, T0 + MIN, run).kind).toBe('closing');
  // Its close done (`drain` stops at the new incident, which the model cannot start).
  expect(() => drain(state, T0 + MIN, [])).toThrow('the model does not reach open-anew');
  expect(state.closing).toEqual([]);
  expect(decide(state, T0 + MIN, run).kind).toBe('open-anew');
  expect(state.mergedInto!.forward.map((a) => a.fingerprint)).toEqual(['late']);
});
