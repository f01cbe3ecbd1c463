/** Revision 7: incident roles, named by the setRole command, shown in the view, the record and the review. */
import { commandTaken, refusal } from '../../../../workflows/incident/commands';
import { incidentRecord } from '../../../../workflows/incident/store-lane';
import { toView } from '../../../../workflows/incident/view';
import { reviewMarkdown } from '../../../../domain/render';
import { testConfig } from '../../../../scripts/testbed/config';
import { THREE_TEAMS } from '../../../support/team-config';
import { deliver, drain, openModel, type ModelPage } from '../../../support/engine-model';
import type { IncidentState } from '../../../../workflows/incident/state';

const T0 = Date.parse('2026-11-27T00:00:00Z');
const MIN = 60_000;

function opened(revision = 7): IncidentState {
  const state = openModel(testConfig({ ...THREE_TEAMS, engine: { revision } }), 'P2', T0);
  drain(state, T0, []);
  return state;
}
const setRole = (state: IncidentState, args: object, now = T0 + MIN, update = true) =>
  deliver(state, { kind: 'command', name: 'setRole', args, update }, now);

test('roles are named, renamed and shown in the view, the record and the review', () => {
  const state = opened();
  expect(setRole(state, { by: 'amy', role: 'commander', person: 'Amy' })).toBeNull();
  expect(setRole(state, { by: 'amy', role: 'scribe', person: 'Sam' })).toBeNull();
  expect(setRole(state, { by: 'bob', role: 'commander', person: 'Bob' })).toBeNull();
  expect(state.timeline.slice(-3).map((e) => [e.message, e.actor])).toEqual([
    ['incident commander: Amy', 'amy'],
    ['scribe: Sam', 'amy'],
    ['incident commander: Bob (was Amy)', 'bob'],
  ]);
  expect(toView(state).roles).toEqual({ commander: 'Bob', scribe: 'Sam' });
  expect(incidentRecord(state).roles).toEqual({ commander: 'Bob', scribe: 'Sam' });
  deliver(
    state,
    { kind: 'command', name: 'acknowledge', args: { by: 'db-lead' }, update: true },
    T0 + 2 * MIN,
  );
  drain(state, T0 + 2 * MIN, []);
  const review = reviewMarkdown(toView(state));
  expect(review).toContain(
    [
      '## Responders and Roles',
      '',
      '- **Incident commander**: Bob',
      '- **Communications lead**: nobody named',
      '- **Scribe**: Sam',
      '- **Responded**: amy, bob, db-lead',
      '- **Paged**: ',
    ].join('\n'),
  );
});

test('refusals name the field; a resolved incident takes no role', () => {
  const state = opened();
  expect(setRole(state, { by: 'amy', role: 'captain', person: 'Amy' })).toBe(
    'role: one of commander, communications, scribe',
  );
  expect(setRole(state, { by: 'amy', role: 'commander', person: ' ' })).toBe('person: who takes the role');
  setRole(state, { by: 'amy', role: 'commander', person: 'Amy' });
  expect(setRole(state, { by: 'amy', role: 'commander', person: 'Amy' })).toBe(
    'Amy is already the incident commander',
  );
  deliver(state, { kind: 'command', name: 'resolve', args: { by: 'amy' }, update: true }, T0 + 2 * MIN);
  drain(state, T0 + 2 * MIN, []);
  expect(refusal(state, 'setRole', { by: 'amy', role: 'scribe', person: 'Sam' })).toBe(
    'incident is already resolved',
  );
});

test('revision 6 takes no role: its Update is refused and its Signal changes nothing; the review says who acknowledged', () => {
  const state = opened(6);
  expect(commandTaken(state, 'setRole')).toBe(false);
  expect(setRole(state, { by: 'amy', role: 'commander', person: 'Amy' })).toBe(
    'roles need engine revision 7; this incident runs revision 6',
  );
  const before = JSON.stringify(state);
  setRole(state, { by: 'amy', role: 'commander', person: 'Amy' }, T0 + MIN, false);
  expect(JSON.stringify(state)).toBe(before);
  deliver(state, { kind: 'command', name: 'acknowledge', args: { by: 'amy' }, update: true }, T0 + 2 * MIN);
  const pages: ModelPage[] = [];
  drain(state, T0 + 2 * MIN, pages);
  expect(reviewMarkdown(toView(state))).toContain('- **Incident commander**: amy (acknowledged)');
});

describe('reassign (revision 7): another team takes the incident', () => {
  test("the DB team's policy pages from its first rule now; the acknowledgement is cleared", () => {
    const state = opened();
    const pages: ModelPage[] = [];
    deliver(state, { kind: 'command', name: 'acknowledge', args: { by: 'amy' }, update: true }, T0 + MIN);
    drain(state, T0 + MIN, pages);
    expect(refusal(state, 'reassign', { by: 'amy', team: 'app' })).toBe("incident is already team app's");
    expect(refusal(state, 'reassign', { by: 'amy' })).toBe('team: the team to reassign to');
    expect(
      deliver(
        state,
        { kind: 'command', name: 'reassign', args: { by: 'amy', team: 'db' }, update: true },
        T0 + 2 * MIN,
      ),
    ).toBeNull();
    expect(refusal(state, 'reassign', { by: 'amy', team: 'security' })).toBe(
      'a reassignment to team db is under way',
    );
    drain(state, T0 + 2 * MIN, pages);
    expect(state.policy).toMatchObject({ team: 'db', escalationPolicy: 'db-policy' });
    expect(state.policy!.bySeverity).toBeUndefined(); // the app team's P1 ladder went with it
    expect(toView(state)).toMatchObject({ status: 'triggered', acknowledgedBy: null, team: 'db' });
    expect(state.timeline.at(-1)?.message).toBe(
      "reassigned to team db (policy db-policy): its ladder pages from its first rule; amy's acknowledgement cleared",
    );
    // db-policy: its schedule at once, its lead after P2's response time.
    const respondWithin = state.policy!.severity.P2.respondWithinMs;
    drain(state, T0 + 2 * MIN + respondWithin, pages);
    expect(pages.slice(-2).map((p) => [(p.at - T0) / MIN, p.level])).toEqual([
      [2, 0],
      [2 + respondWithin / MIN, 1],
    ]);
  });

  test('an unknown team is said in the timeline; revision 6 takes no reassignment', () => {
    const state = opened();
    deliver(
      state,
      { kind: 'command', name: 'reassign', args: { by: 'amy', team: 'payments' }, update: true },
      T0 + MIN,
    );
    drain(state, T0 + MIN, []);
    expect(state.policy!.team).toBe('app');
    expect(state.timeline.at(-1)?.message).toBe(
      'cannot reassign to team payments: no team "payments" is configured (teams)',
    );
    expect(refusal(opened(6), 'reassign', { by: 'amy', team: 'db' })).toBe(
      'reassigning needs engine revision 7; this incident runs revision 6',
    );
  });
});
