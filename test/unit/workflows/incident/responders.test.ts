/** Revision 7: responders added to an incident, each paged on its own ladder until someone from it answers. */
import { commandTaken, refusal } from '../../../../workflows/incident/commands';
import { toView } from '../../../../workflows/incident/view';
import { fitState, stateBytes } from '../../../../workflows/incident/state-bound';
import type { IncidentState } from '../../../../workflows/incident/state';
import { RESPONDER_LEVEL } from '../../../../domain/responders';
import { testConfig } from '../../../../scripts/testbed/config';
import { THREE_TEAMS } from '../../../support/team-config';
import { deliver, drain, openModel, type ModelPage } from '../../../support/engine-model';

const T0 = Date.parse('2026-11-27T00:00:00Z');
const MIN = 60_000;
const config = (revision: number) => testConfig({ ...THREE_TEAMS, engine: { revision } });

/** A P2 of the app team, acknowledged at 1:00 by its on-call. */
function acknowledged(revision = 7) {
  const state = openModel(config(revision), 'P2', T0);
  const pages: ModelPage[] = [];
  drain(state, T0, pages);
  command(state, 'acknowledge', { by: 'primary-oncall' }, T0 + MIN);
  drain(state, T0 + MIN, pages);
  return { state, pages };
}

function command(state: IncidentState, name: 'acknowledge' | 'page', args: object, now: number) {
  return deliver(state, { kind: 'command', name, args, update: true }, now);
}

const responderPages = (pages: ModelPage[]) =>
  pages.filter((p) => p.level === RESPONDER_LEVEL).map((p) => ({ at: (p.at - T0) / MIN, reason: p.reason }));

test('the DB team is paged on its own policy beside the acknowledged incident, until one of it acknowledges', () => {
  const { state, pages } = acknowledged();
  expect(command(state, 'page', { by: 'primary-oncall', team: 'db' }, T0 + 2 * MIN)).toBeNull();
  drain(state, T0 + 2 * MIN, pages);
  // db-policy: its schedule, then its lead, at P2's response time (30 minutes in the test configuration).
  const respondWithin = state.policy!.severity.P2.respondWithinMs / MIN;
  drain(state, T0 + (2 + respondWithin) * MIN, pages);
  expect(responderPages(pages)).toEqual([
    { at: 2, reason: 'responder requested by primary-oncall: paging team db' },
    {
      at: 2 + respondWithin,
      reason: expect.stringMatching(/^team db has not acknowledged within .*: paging DB lead$/),
    },
  ]);
  // The incident is acknowledged already: its own acknowledger is refused, a DB member joins.
  expect(command(state, 'acknowledge', { by: 'primary-oncall' }, T0 + 40 * MIN)).toMatch(
    /already acknowledged/,
  );
  expect(command(state, 'acknowledge', { by: 'DB lead (slack:U9)' }, T0 + 40 * MIN)).toBeNull();
  expect(drain(state, T0 + 40 * MIN, pages)).toMatchObject({ kind: 'wait' });
  expect(state.timeline.at(-1)).toMatchObject({
    type: 'acknowledged',
    actor: 'DB lead (slack:U9)',
    message: 'joined as responder for team db: paging it stopped',
  });
  expect(state.acknowledgedBy).toBe('primary-oncall');
  drain(state, T0 + 600 * MIN, pages);
  expect(responderPages(pages)).toHaveLength(2);
  expect(toView(state).responders).toEqual([
    expect.objectContaining({
      label: 'team db',
      requestedBy: 'primary-oncall',
      pages: 2,
      answeredBy: 'DB lead (slack:U9)',
      nextPageAt: null,
    }),
  ]);
});

test('a person is paged up to three times, then the request ends and says so', () => {
  const { state, pages } = acknowledged();
  command(state, 'page', { by: 'primary-oncall', person: 'sec-lead' }, T0 + 2 * MIN);
  for (let t = 2; t <= 300; t += 1) drain(state, T0 + t * MIN, pages);
  expect(responderPages(pages)).toHaveLength(3);
  expect(state.responders![0].ended).toBe(
    'nobody from Security lead acknowledged after 3 pages: its ladder ran out',
  );
  // A late answer still joins.
  expect(command(state, 'acknowledge', { by: 'sec-lead' }, T0 + 301 * MIN)).toBeNull();
  expect(state.responders![0]).toMatchObject({ answeredBy: 'sec-lead', ended: null });
});

test('refusals name the field; an unknown target ends its request with the reason, paging nobody', () => {
  const { state, pages } = acknowledged();
  expect(command(state, 'page', { by: 'x' }, T0 + 2 * MIN)).toBe(
    'name one of "team", "person" or "schedule"',
  );
  expect(command(state, 'page', { by: 'x', team: 'db', person: 'db-lead' }, T0 + 2 * MIN)).toBe(
    'name one of "team", "person" or "schedule"',
  );
  expect(command(state, 'page', { by: 'x', team: 'a b' }, T0 + 2 * MIN)).toMatch(/^team: a configured id/);
  expect(command(state, 'page', { by: 'x', team: '@db' }, T0 + 2 * MIN)).toBeNull();
  expect(command(state, 'page', { by: 'y', team: 'db' }, T0 + 2 * MIN)).toBe(
    'team db is already being paged (asked by x)',
  );
  expect(command(state, 'page', { by: 'x', team: 'nope' }, T0 + 2 * MIN)).toBeNull();
  drain(state, T0 + 2 * MIN, pages);
  expect(responderPages(pages)).toHaveLength(1);
  expect(state.responders![1].ended).toBe('no team "nope" is configured (teams)');
  expect(
    state.timeline.some((e) => e.message === 'cannot page team nope: no team "nope" is configured (teams)'),
  ).toBe(true);
});

test('a responder page waits for nothing the incident does, and stops when the incident resolves', () => {
  const { state, pages } = acknowledged();
  command(state, 'page', { by: 'x', schedule: 'db' }, T0 + 2 * MIN);
  drain(state, T0 + 2 * MIN, pages);
  deliver(state, { kind: 'command', name: 'resolve', args: { by: 'x' }, update: true }, T0 + 3 * MIN);
  drain(state, T0 + 3 * MIN, pages);
  drain(state, T0 + 300 * MIN, pages);
  expect(responderPages(pages)).toEqual([{ at: 2, reason: 'responder requested by x: paging schedule db' }]);
  expect(refusal(state, 'page', { by: 'x', team: 'db' })).toBe('incident is already resolved');
});

test('revision 6 takes no page command: its Update is refused and its Signal changes nothing', () => {
  const { state } = acknowledged(6);
  expect(commandTaken(state, 'page')).toBe(false);
  expect(refusal(state, 'page', { by: 'x', team: 'db' })).toBe(
    'adding a responder needs engine revision 7; this incident runs revision 6',
  );
  const before = JSON.stringify(state);
  deliver(
    state,
    { kind: 'command', name: 'page', args: { by: 'x', team: 'db' }, update: false },
    T0 + 2 * MIN,
  );
  expect(JSON.stringify(state)).toBe(before);
  // Nor does a DB member's acknowledgement count for anything there.
  expect(command(state, 'acknowledge', { by: 'db-lead' }, T0 + 3 * MIN)).toMatch(/already acknowledged/);
});

test('a state over its bound lets go of the ladders of responders no longer paged, keeping who they were', () => {
  const { state, pages } = acknowledged();
  command(state, 'page', { by: 'x', team: 'db' }, T0 + 2 * MIN);
  drain(state, T0 + 2 * MIN, pages);
  command(state, 'acknowledge', { by: 'db-lead' }, T0 + 3 * MIN);
  const before = stateBytes(state);
  // The last thing to go: every other shrinker has had its turn at a bound nothing meets.
  expect(fitState(state, 1)).toContain('1 ladders of added responders no longer paged');
  expect(stateBytes(state)).toBeLessThan(before);
  expect(state.responders![0]).toMatchObject({ answeredBy: 'db-lead', plan: { label: 'team db' } });
  expect(state.responders![0].plan!.ladder.ladder).toEqual([]);
});
