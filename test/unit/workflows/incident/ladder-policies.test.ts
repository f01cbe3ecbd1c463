/** Revision 6: a policy's ladder walked as written — each level's delay, severity ladders, several schedules. */
import { toIncidentPolicy } from '../../../../activities/policy';
import {
  ackExpired,
  activeLadder,
  dueRung,
  policyLevel,
  rungAfter,
} from '../../../../workflows/incident/ladder';
import { apply, commandTaken, refusal } from '../../../../workflows/incident/commands';
import { changeSeverity } from '../../../../workflows/incident/transitions';
import { initialState, type IncidentState } from '../../../../workflows/incident/state';
import { levelReachedAt } from '../../../../domain/policy';
import type { Severity } from '../../../../domain/types';
import { testConfig } from '../../../../scripts/testbed/config';
import { THREE_TEAMS } from '../../../support/team-config';

const T0 = Date.parse('2026-11-27T00:00:00Z');
const MIN = 60_000;

function opened(severity: Severity, revision = 6): IncidentState {
  const state = initialState(
    { dedupKey: 'k', service: 'checkout', scenario: 'health', severity, summary: 's', security: false },
    { incidentId: 'incident-1', workflowId: 'wf-1' },
    T0,
  );
  state.policy = { ...toIncidentPolicy(testConfig(THREE_TEAMS), 'checkout'), revision };
  // As after the first page at 0:00.
  state.ladderStep = 1;
  state.nextEscalationAt = rungAfter(state, 0, T0);
  return state;
}

test('each level waits its own delay; the last one without a delay waits the severity response time', () => {
  const state = opened('P2');
  expect(state.nextEscalationAt).toBe(T0 + 5 * MIN);
  expect(dueRung(state, T0 + 5 * MIN)).toMatchObject({ step: 1, level: 1, dueAt: T0 + 5 * MIN });
  expect(rungAfter(state, 1, T0 + 5 * MIN)).toBe(T0 + 15 * MIN);
  // The last level (afterLadder stop): nobody after it.
  expect(rungAfter(state, 2, T0 + 15 * MIN)).toBeNull();
});

test('back after an outage: the rungs missed are named at their own due times', () => {
  const rung = dueRung(opened('P2'), T0 + 3 * 60 * MIN);
  expect(rung).toMatchObject({ step: 2, level: 2, dueAt: T0 + 15 * MIN });
  expect(rung!.reason).toBe(
    'no acknowledgement within 10:00: escalating to Tech lead; missed while no worker could page: app lead and the DB team (due 5:00)',
  );
});

test('repeat-last past the walked ladder: one division, at the last level delay', () => {
  const state = opened('P1');
  // The P1 ladder: app + App lead (2m), then team security, which repeats at P1's 15 minutes.
  expect(activeLadder(state)!.ladder.map((l) => l.name)).toEqual([
    'schedule app + App lead',
    'team security',
  ]);
  expect(state.nextEscalationAt).toBe(T0 + 2 * MIN);
  const rung = dueRung(state, T0 + 30 * 24 * 60 * MIN);
  expect(rung).toMatchObject({ level: 1, dueAt: T0 + 2 * MIN + (rung!.step - 1) * 15 * MIN });
  expect(rung!.step).toBe(1 + Math.floor((30 * 24 * 60 - 2) / 15));
});

test('a severity change follows that severity ladder from the same step, retimed by its delays', () => {
  const state = opened('P2');
  changeSeverity(state, 'P1', T0 + MIN, 'amy');
  expect(state.nextEscalationAt).toBe(T0 + 3 * MIN);
  expect(dueRung(state, T0 + 3 * MIN)).toMatchObject({ step: 1, level: 1 });
  expect(policyLevel(state, 1).name).toBe('team security');
  // A level number beyond a shorter ladder names its last level.
  expect(policyLevel(state, 2).name).toBe('team security');
  changeSeverity(state, 'P3', T0 + 4 * MIN, 'amy');
  expect(activeLadder(state)!.ladder).toHaveLength(3);
});

test('before revision 6 the same policy walks at the severity response time, on its default ladder', () => {
  const state = opened('P1', 5);
  expect(activeLadder(state)).toBe(state.policy);
  expect(state.nextEscalationAt).toBe(T0 + 15 * MIN);
});

test('a level with several schedules pages each on-call and its contacts, naming a schedule with nobody', () => {
  const level = toIncidentPolicy(testConfig(THREE_TEAMS), 'checkout').bySeverity!.P1!.ladder[0];
  const both = levelReachedAt(level, T0, () => []);
  expect(both.contactNames).toEqual(['App lead', 'Primary on-call']);
  expect(both.onCall).toBe('on call in schedule app (always)');
  const away = levelReachedAt(level, T0, () => [
    { contactId: 'app-lead', from: T0 - MIN, to: T0 + 60 * MIN },
  ]);
  // An override hands the schedule to the App lead, who is paged once.
  expect(away.contactIds).toEqual(['app-lead']);
  const nobody = levelReachedAt(
    { ...level, schedules: [{ ...level.schedules![0], layers: [] }] },
    T0,
    () => [],
  );
  expect([nobody.contactNames, nobody.onCall]).toEqual([['App lead'], 'nobody on call in schedule app']);
});

describe('snooze (revision 6): the acknowledgement times out when the person says', () => {
  const acknowledged = (revision: number) => {
    const state = opened('P2', revision);
    apply(state, 'acknowledge', { by: 'amy' }, T0 + MIN);
    return state;
  };

  test('acknowledged: the ack expires after the minutes given, and the timeline says when and whom', () => {
    const state = acknowledged(6);
    expect(refusal(state, 'snooze', { by: 'amy', minutes: 45 })).toBeNull();
    expect(apply(state, 'snooze', { by: 'amy', minutes: 45 }, T0 + 2 * MIN)).toBe(
      `snoozed until ${new Date(T0 + 47 * MIN).toISOString()}`,
    );
    expect(state.ackExpiresAt).toBe(T0 + 47 * MIN);
    expect(state.timeline.at(-1)?.message).toBe(
      `snoozed for 45:00: amy is alerted again at ${new Date(T0 + 47 * MIN).toISOString()} unless it is resolved`,
    );
    expect(ackExpired(state, T0 + 47 * MIN)).toBe(true);
  });

  test('refused: not acknowledged, bad minutes, or a run below revision 6 (whose Signal is not taken at all)', () => {
    expect(refusal(opened('P2'), 'snooze', { by: 'amy', minutes: 5 })).toBe(
      'only an acknowledged incident can be snoozed',
    );
    for (const minutes of [0, 1441, 2.5, '60', null])
      expect(refusal(acknowledged(6), 'snooze', { by: 'amy', minutes })).toBe(
        'minutes: a whole number from 1 to 1440',
      );
    const old = acknowledged(5);
    expect(refusal(old, 'snooze', { by: 'amy', minutes: 5 })).toBe(
      'snooze needs engine revision 6; this incident runs revision 5',
    );
    expect(commandTaken(old, 'snooze')).toBe(false);
    expect(commandTaken(old, 'acknowledge')).toBe(true);
  });
});
