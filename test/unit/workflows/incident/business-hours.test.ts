/** Revision 7: a severity that keeps to business hours (the seed's P3) pages only inside the schedule's. */
import { testConfig } from '../../../../scripts/testbed/config';
import { THREE_TEAMS } from '../../../support/team-config';
import { drain, openModel, type ModelPage } from '../../../support/engine-model';

const SATURDAY_NOON = Date.parse('2026-11-28T12:00:00Z');
const MONDAY_9 = Date.parse('2026-11-30T09:00:00Z');
const HOUR = 3_600_000;

function config(revision: number, businessHours?: boolean) {
  const hours = { days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '09:00', to: '17:00' };
  return testConfig({
    ...THREE_TEAMS,
    engine: { revision },
    schedules: { ...THREE_TEAMS.schedules, app: { ...THREE_TEAMS.schedules.app, businessHours: hours } },
    ...(businessHours === undefined
      ? {}
      : { severityPolicy: { P3: { businessHours }, P2: { businessHours } } }),
  });
}

function run(revision: number, severity: 'P2' | 'P3', businessHours?: boolean) {
  const state = openModel(config(revision, businessHours), severity, SATURDAY_NOON);
  const pages: ModelPage[] = [];
  for (let t = SATURDAY_NOON; t <= MONDAY_9 + HOUR; t += 15 * 60_000) drain(state, t, pages);
  return { state, pages: pages.filter((p) => p.level >= 0).map((p) => new Date(p.at).toISOString()) };
}

test('a P3 opened on Saturday pages the app schedule on Monday at 09:00, and says so', () => {
  const { state, pages } = run(7, 'P3');
  expect(pages[0]).toBe('2026-11-30T09:00:00.000Z');
  expect(state.timeline.map((e) => e.message)).toContain(
    "P3 pages in business hours only (app: mon tue wed thu fri 09:00–17:00 UTC): schedule app is paged at 2026-11-30T09:00:00.000Z, the next business day's start",
  );
});

test('P2 pages at any hour unless configured to keep business hours; P3 can be told not to', () => {
  expect(run(7, 'P2').pages[0]).toBe('2026-11-28T12:00:00.000Z');
  expect(run(7, 'P2', true).pages[0]).toBe('2026-11-30T09:00:00.000Z');
  expect(Date.parse(run(7, 'P3', false).pages[0])).toBeLessThan(MONDAY_9);
});

test('revision 6 pages a P3 at any hour, as the release before it does', () => {
  expect(Date.parse(run(6, 'P3').pages[0])).toBeLessThan(MONDAY_9);
});
