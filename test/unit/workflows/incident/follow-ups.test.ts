/** Revision 9: the follow-ups of people's notification rules wait in the state and go out unless owned first. */
import { MAX_FOLLOW_UPS, scheduleFollowUps } from '../../../../workflows/incident/follow-ups';
import { toView } from '../../../../workflows/incident/view';
import type { IncidentState } from '../../../../workflows/incident/state';
import type { PageRecord } from '../../../../domain/types';
import { testConfig } from '../../../../scripts/testbed/config';
import { deliver, drain, FOLLOW_UP_LEVEL, openModel, type ModelPage } from '../../../support/engine-model';

const T0 = Date.parse('2026-12-08T00:00:00Z');
const SEC = 1000;
const MIN = 60 * SEC;

function opened(revision = 9) {
  const state = openModel(testConfig({ engine: { revision } }), 'P1', T0);
  const pages: ModelPage[] = [];
  drain(state, T0, pages);
  return { state, pages };
}

/** The first page's record, as the workflow keeps it, and an answer whose rules ask for two follow-ups. */
function pageWithRules(state: IncidentState) {
  const page: PageRecord = {
    ...state.paged[0],
    contactIds: ['primary-oncall', 'secondary-oncall'],
    contacts: ['Primary', 'Secondary'],
    dedupKey: 'incident-1-1',
  };
  scheduleFollowUps(state, page, {
    delivered: true,
    detail: 'ok',
    followUps: [
      { contactId: 'secondary-oncall', channel: 'pagerduty', afterMs: 10 * MIN, rule: 1 },
      { contactId: 'primary-oncall', channel: 'email', afterMs: 5 * MIN, rule: 2 },
      { contactId: 'someone-else', channel: 'email', afterMs: MIN, rule: 0 },
    ],
  });
}

const followUps = (pages: ModelPage[]) =>
  pages.filter((p) => p.level === FOLLOW_UP_LEVEL).map((p) => ({ at: (p.at - T0) / MIN, what: p.reason }));

test('follow-ups go out when due, in order, while nobody owns the incident', () => {
  // The model's person asks for e-mail at +1:30 and PagerDuty at +5:00 after every page (MODEL_FOLLOW_UPS).
  const { state, pages } = opened();
  expect(state.followUps?.map((f) => [f.channel, (f.dueAt - T0) / SEC])).toEqual([
    ['email', 90],
    ['pagerduty', 300],
  ]);
  // A page's answer names only the people it reached; they join the queue in due order.
  pageWithRules(state);
  expect(state.followUps?.map((f) => [f.contactId, (f.dueAt - T0) / SEC])).toEqual([
    ['model-person', 90],
    ['model-person', 300],
    ['primary-oncall', 300],
    ['secondary-oncall', 600],
  ]);
  expect(toView(state).followUps?.slice(2)).toEqual([
    { contact: 'Primary', channel: 'email', dueAt: new Date(T0 + 5 * MIN).toISOString() },
    { contact: 'Secondary', channel: 'pagerduty', dueAt: new Date(T0 + 10 * MIN).toISOString() },
  ]);
  expect(drain(state, T0 + MIN, pages)).toEqual({ kind: 'wait', until: T0 + 90 * SEC });
  for (const at of [90, 300, 600]) drain(state, T0 + at * SEC, pages);
  expect(followUps(pages)).toEqual([
    { at: 1.5, what: 'email to model-person' },
    { at: 5, what: 'pagerduty to model-person' },
    { at: 5, what: 'email to primary-oncall' },
    { at: 10, what: 'pagerduty to secondary-oncall' },
  ]);
  expect(state.followUps).toEqual([]);
});

test('an acknowledgement before they are due makes them moot: dropped when due, nothing sent', () => {
  const { state, pages } = opened();
  pageWithRules(state);
  drain(state, T0 + MIN, pages);
  expect(
    deliver(
      state,
      { kind: 'command', name: 'acknowledge', args: { by: 'primary-oncall' }, update: true },
      T0 + 80 * SEC,
    ),
  ).toBeNull();
  drain(state, T0 + 80 * SEC, pages);
  expect(toView(state).followUps).toEqual([]);
  for (let t = 90; t <= 900; t += 30) drain(state, T0 + t * SEC, pages);
  expect(followUps(pages)).toEqual([]);
  expect(state.followUps).toEqual([]);
  // The acknowledgement expires (P1's ack timeout) and the incident pages again: that page's follow-ups are
  // wanted, those of the page before the acknowledgement stay gone.
  const ackTimeout = state.ackExpiresAt! - T0;
  drain(state, T0 + ackTimeout, pages);
  drain(state, T0 + ackTimeout + 90 * SEC, pages);
  expect(followUps(pages)).toEqual([{ at: (ackTimeout + 90 * SEC) / MIN, what: 'email to model-person' }]);
  expect(state.followUps?.map((f) => f.channel)).toEqual(['pagerduty']);
});

test('revision 8 keeps no follow-ups; a storm of them keeps the first MAX_FOLLOW_UPS', () => {
  const old = opened(8).state;
  pageWithRules(old);
  expect(old.followUps).toBeUndefined();
  const { state } = opened();
  const page = { ...state.paged[0], contactIds: ['primary-oncall'], contacts: ['Primary'] };
  scheduleFollowUps(state, page, {
    delivered: true,
    detail: 'ok',
    followUps: Array.from({ length: MAX_FOLLOW_UPS + 10 }, (_, i) => ({
      contactId: 'primary-oncall',
      channel: 'email' as const,
      afterMs: (i + 1) * MIN,
      rule: i,
    })),
  });
  // The model's own two (at 1:30 and 5:00) are among the first; the latest ones give way.
  expect(state.followUps).toHaveLength(MAX_FOLLOW_UPS);
  expect(state.followUps!.at(-1)!.dueAt).toBe(T0 + (MAX_FOLLOW_UPS - 2) * MIN);
});
