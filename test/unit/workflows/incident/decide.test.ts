/** The incident engine's pure parts: ladder timing, the priority of effects, commands, alert folding. */
import { toIncidentPolicy } from '../../../../activities/policy';
import { ingestAlerts } from '../../../../workflows/incident/alerts';
import { apply, refusal, staleProposal } from '../../../../workflows/incident/commands';
import { onRunbookReport } from '../../../../workflows/incident/children';
import { decide } from '../../../../workflows/incident/decide';
import { dueRung, statusUpdateAfter } from '../../../../workflows/incident/ladder';
import { initialState, record, type IncidentState } from '../../../../workflows/incident/state';
import { formatElapsed } from '../../../../domain/policy';
import type { Severity, SourceAlert } from '../../../../domain/types';
import { testConfig } from '../../../../scripts/testbed/config';

const T0 = Date.parse('2026-11-27T00:00:00Z');
const MIN = 60_000;
const RUN = { continueAsNewSuggested: false, historyLength: 10, historySize: 2000 };

function opened(severity: Severity = 'P1', patch: Partial<IncidentState> = {}): IncidentState {
  const state = initialState(
    { dedupKey: 'k', service: 'checkout', scenario: 'health', severity, summary: 's', security: false },
    { incidentId: 'incident-1', workflowId: 'wf-1' },
    T0,
  );
  state.policy = toIncidentPolicy(testConfig(), 'checkout');
  // As after the first page at 0:00 and the opening work.
  state.ladderStep = 1;
  state.nextEscalationAt = T0 + 15 * MIN;
  state.nextStatusUpdateAt = T0 + 30 * MIN;
  return Object.assign(state, patch);
}

describe('overdue rungs collapse into the rung due now', () => {
  test('back after 1 h: the repeat round primary, naming the three missed', () => {
    const rung = dueRung(opened(), T0 + 61 * MIN);
    expect(rung).toEqual({
      step: 4,
      level: 0,
      round: 1,
      channel: 'page',
      dueAt: T0 + 60 * MIN,
      reason:
        'no acknowledgement within 15:00: ladder repeat 1, paging primary on-call; missed while no worker could page: secondary on-call (due 15:00), tech lead (due 30:00), DevOps manager (due 45:00)',
    });
  });

  test('back after 10 h with afterLadder stop: the last rung of the ladder, once', () => {
    const state = opened();
    state.policy!.afterLadder = 'stop';
    const rung = dueRung(state, T0 + 10 * 60 * MIN);
    expect(rung).toMatchObject({ step: 7, level: 3, round: 1, dueAt: T0 + 105 * MIN });
    expect(rung!.reason.match(/\(due [\d:]+\)/g)).toEqual([
      '(due 15:00)',
      '(due 30:00)',
      '(due 45:00)',
      '(due 1:00:00)',
      '(due 1:15:00)',
      '(due 1:30:00)',
    ]);
  });

  test('back after 10 h with afterLadder repeat-last (the default): the last level, at its cadence', () => {
    const rung = dueRung(opened(), T0 + 10 * 60 * MIN);
    expect(rung).toMatchObject({ step: 40, level: 3, dueAt: T0 + 600 * MIN });
    expect(rung!.reason).toMatch(/after the whole ladder: paging DevOps manager again/);
    // The reason names 20 missed rungs and counts the rest, however long the downtime.
    expect(rung!.reason).toMatch(/, 19 more$/);
  });

  test('back after 30 days on a 1 s rung: one division, not a walk', () => {
    const state = opened();
    state.policy!.severity.P1.respondWithinMs = 1000;
    state.nextEscalationAt = T0 + 1000;
    const rung = dueRung(state, T0 + 30 * 24 * 60 * MIN);
    expect(rung).toMatchObject({ step: 1 + 30 * 24 * 3600 - 1, level: 3, dueAt: T0 + 30 * 24 * 60 * MIN });
  });

  test('on time, nothing is collapsed; one second early, nothing is due', () => {
    expect(dueRung(opened(), T0 + 15 * MIN)).toMatchObject({
      step: 1,
      reason: expect.not.stringContaining('missed'),
    });
    expect(dueRung(opened(), T0 + 15 * MIN - 1000)).toBeNull();
  });

  test('status updates missed for 10 h: one is posted and the next keeps the 30:00 cadence', () => {
    const state = opened();
    const next = statusUpdateAfter(state, T0 + 30 * MIN, T0 + 10 * 60 * MIN + 5000);
    expect(formatElapsed(next! - T0)).toBe('10:30:00');
  });
});

describe('decide: the priority of effects', () => {
  test('a due page comes before Slack, tickets and status updates', () => {
    const state = opened('P1', { outbox: ['chatter'], opening: ['announce', 'ticket'] });
    state.nextStatusUpdateAt = T0 + 15 * MIN;
    expect(decide(state, T0 + 15 * MIN, RUN)).toMatchObject({ kind: 'page', rung: { step: 1 } });
  });

  test('Slack waits its turn in its own lane: never two at once, and nothing waits for it', () => {
    const state = opened('P1', { outbox: ['chatter'], slackBusy: true });
    expect(decide(state, T0 + MIN, RUN)).toEqual({ kind: 'wait', until: T0 + 15 * MIN });
    state.slackBusy = false;
    expect(decide(state, T0 + MIN, RUN)).toEqual({ kind: 'slack' });
  });

  test('continue-as-new waits until Slack and the runbook are done', () => {
    const run = { ...RUN, continueAsNewSuggested: true };
    const state = opened('P1', { slackBusy: true });
    expect(decide(state, T0 + MIN, run).kind).toBe('wait');
    state.slackBusy = false;
    state.runbook = { workflowId: 'rb', running: true, runs: 1 };
    expect(decide(state, T0 + MIN, run).kind).toBe('wait');
    state.runbook.running = false;
    expect(decide(state, T0 + MIN, run)).toMatchObject({ kind: 'continue-as-new' });
  });

  test('a long Slack outage does not hold continue-as-new back: queued items ride along (revision 2)', () => {
    const run = { ...RUN, continueAsNewSuggested: true };
    const state = opened('P1', { outbox: ['update 1', 'update 2'] });
    state.slackQueue.push({ kind: 'thread', text: 'queued' });
    expect(decide(state, T0 + MIN, run)).toMatchObject({ kind: 'continue-as-new' });
    // A call in flight is not in the state: it finishes (or fails) first.
    state.slackBusy = true;
    expect(decide(state, T0 + MIN, run).kind).toBe('wait');
    // Runs older than revision 2 drained the queue first, as their histories recorded.
    state.slackBusy = false;
    delete state.policy!.revision;
    expect(decide(state, T0 + MIN, run)).toEqual({ kind: 'slack' });
  });

  test('continue-as-new by event count or by bytes, whichever comes first (the suggestion is not everywhere)', () => {
    const state = opened('P1');
    state.policy!.history = {
      continueAsNewAfterEvents: 5000,
      continueAsNewAfterBytes: 8_000_000,
      keepTimelineEntries: 300,
      keepAlerts: 200,
    };
    expect(decide(state, T0 + MIN, { ...RUN, historyLength: 4999, historySize: 7_999_999 }).kind).toBe(
      'wait',
    );
    expect(decide(state, T0 + MIN, { ...RUN, historyLength: 5000 })).toEqual({
      kind: 'continue-as-new',
      why: 'history reached 5000 events',
    });
    expect(decide(state, T0 + MIN, { ...RUN, historyLength: 900, historySize: 8_000_000 })).toEqual({
      kind: 'continue-as-new',
      why: 'history reached 8.0 MB (8.0 MB in this run)',
    });
    // The carried state in the start event is not this run's growth: no continue-as-new loop on a small bound.
    const carried = { ...RUN, historySize: 8_500_000, historySizeAtStart: 1_000_000 };
    expect(decide(state, T0 + MIN, carried).kind).toBe('wait');
    expect(decide(state, T0 + MIN, { ...carried, historySize: 9_000_000 })).toEqual({
      kind: 'continue-as-new',
      why: 'history reached 9.0 MB (8.0 MB in this run)',
    });
    // Before revision 2 the whole history counted, as recorded runs did.
    delete state.policy!.revision;
    expect(decide(state, T0 + MIN, carried)).toMatchObject({ kind: 'continue-as-new' });
    state.policy!.revision = 2;
    // A policy carried from a run older than the byte bound has none: only events count.
    delete state.policy!.history.continueAsNewAfterBytes;
    expect(decide(state, T0 + MIN, { ...RUN, historySize: 60_000_000 }).kind).toBe('wait');
  });

  test('a severity change while the runbook runs is passed on to it, before anything but pages', () => {
    const state = opened('P2', { opening: ['status-page'] });
    state.ladderStep = 1;
    state.nextEscalationAt = T0 + 60 * MIN;
    state.runbook = { workflowId: 'rb', running: true, runs: 1 };
    apply(state, 'setSeverity', { by: 'erin', severity: 'P1' }, T0 + 10 * MIN);
    expect(state.runbookSeverityChanged).toBe(true);
    expect(decide(state, T0 + 10 * MIN, RUN)).toEqual({ kind: 'forward-severity' });
    state.runbook.running = false;
    state.runbookSeverityChanged = false;
    apply(state, 'setSeverity', { by: 'erin', severity: 'P2' }, T0 + 11 * MIN);
    expect(state.runbookSeverityChanged).toBe(false); // no runbook running: nothing to tell
  });

  test('timeline entries leave for the journal in batches of 50, and all of them before the review', () => {
    const state = opened('P1');
    state.policy!.history = { continueAsNewAfterEvents: 5000, keepTimelineEntries: 20, keepAlerts: 200 };
    state.ladderStep = 1;
    state.nextEscalationAt = T0 + 60 * MIN;
    state.nextStatusUpdateAt = null;
    record(state, T0, 'opened', 'incident opened', { announce: false });
    for (let i = 0; i < 20 + 48; i++) apply(state, 'addNote', { by: 'x', text: `note ${i}` }, T0 + i);
    expect(state.journalQueue).toHaveLength(49);
    expect(decide(state, T0 + MIN, RUN).kind).not.toBe('write-journal');
    apply(state, 'addNote', { by: 'x', text: 'one more' }, T0 + 100);
    expect(decide(state, T0 + MIN, RUN)).toEqual({ kind: 'write-journal' });
    // The oldest left first, and 'opened' stays at the head of what the state keeps.
    expect(state.journalQueue![0].message).toBe('note 0');
    expect(state.timeline[0].type).toBe('opened');
    state.journalQueue!.splice(0, 45);
    state.closing = ['review'];
    state.status = 'resolved';
    expect(decide(state, T0 + MIN, RUN)).toEqual({ kind: 'write-journal' });
  });

  test('an alert that fires again during the close reopens instead of completing', () => {
    const state = opened('P1', { status: 'resolved', closing: [] });
    state.alertStatus = [['fp', 'resolved']];
    expect(decide(state, T0 + MIN, RUN)).toEqual({ kind: 'complete' });
    const alert: SourceAlert = {
      fingerprint: 'fp',
      status: 'firing',
      summary: 'back',
      labels: {},
      source: 'alertmanager',
    };
    expect(ingestAlerts(state, [alert], T0 + MIN)).toBe(true);
    expect(decide(state, T0 + MIN, RUN)).toEqual({
      kind: 'reopen',
      reason: 'alert fired again during the close: back',
    });
  });

  test('an expired acknowledgement re-alerts before anything else', () => {
    const state = opened('P1');
    apply(state, 'acknowledge', { by: 'alice' }, T0 + 10 * MIN);
    expect(state.ackExpiresAt).toBe(T0 + 40 * MIN);
    expect(decide(state, T0 + 40 * MIN - 1, RUN).kind).not.toBe('re-alert');
    expect(decide(state, T0 + 40 * MIN, RUN)).toEqual({ kind: 're-alert' });
  });
});

describe('commands: refused with the reason the person sees', () => {
  test.each([
    ['acknowledge', { by: 'bob' }, 'incident is already acknowledged by alice'],
    ['setSeverity', { by: 'bob', severity: 'P7' }, 'unknown severity "P7"'],
    ['setSeverity', { by: 'bob', severity: 'p1' }, 'severity is already P1'],
    ['approve', { by: 'bob', step: 'rollback' }, 'no step "rollback" is waiting for approval'],
    ['approve', { by: 'bob', step: 'constructor' }, 'no step "constructor" is waiting for approval'],
    ['addNote', { by: 'bob', text: '   ' }, 'missing "text"'],
  ] as const)('%s %j → %s', (name, args, why) => {
    const state = opened();
    apply(state, 'acknowledge', { by: 'alice' }, T0);
    expect(refusal(state, name, args)).toBe(why);
  });

  test('an Approve button answers its own proposal: once the step is proposed again, the old one is refused', () => {
    const state = opened();
    const propose = (at: number, message: string) => {
      jest.setSystemTime(at);
      onRunbookReport(state, { kind: 'proposal', step: 'rollback', message });
    };
    jest.useFakeTimers();
    try {
      propose(T0 + MIN, 'roll back to v1');
      const first = state.pendingApprovals[0].requestedAt;
      // The Slack message's buttons carry the proposal they answer.
      expect(state.slackQueue.at(-1)).toMatchObject({ kind: 'approval', step: 'rollback', proposal: first });
      expect(staleProposal(state, 'approve', { by: 'bob', step: 'rollback', proposal: first })).toBeNull();
      propose(T0 + 5 * MIN, 'roll back to v0 (v1 is broken too)');
      const second = state.pendingApprovals[0].requestedAt;
      expect(state.pendingApprovals).toHaveLength(1);
      expect(second).not.toBe(first);
      expect(staleProposal(state, 'approve', { by: 'bob', step: 'rollback', proposal: first })).toBe(
        `that button answered an earlier request for "rollback" (${first}); it was proposed again at ${second}: answer the newest request`,
      );
      expect(staleProposal(state, 'reject', { by: 'bob', step: 'rollback', proposal: 'forged' })).toMatch(
        /^that button answered an earlier request/,
      );
      expect(staleProposal(state, 'approve', { by: 'bob', step: 'rollback', proposal: second })).toBeNull();
      // The CLI, the API and the console name the step only: they answer what is pending now.
      expect(staleProposal(state, 'approve', { by: 'bob', step: 'rollback' })).toBeNull();
      expect(staleProposal(state, 'acknowledge', { by: 'bob', proposal: first })).toBeNull();
      // The Signal (which cannot refuse) keeps its old rule: the history of a run replays the same.
      expect(refusal(state, 'approve', { by: 'bob', step: 'rollback', proposal: first })).toBeNull();
    } finally {
      jest.useRealTimers();
    }
  });

  test('after the close, only an escalation is taken (it reopens)', () => {
    const state = opened('P1', { status: 'resolved', closing: [] });
    expect(refusal(state, 'resolve', { by: 'x' })).toBe('incident is already resolved');
    expect(refusal(state, 'escalate', { by: 'x' })).toBeNull();
    apply(state, 'escalate', { by: 'x', reason: 'still broken' }, T0);
    expect(decide(state, T0, RUN)).toMatchObject({ kind: 'reopen' });
  });
});

test('the worst alerts still leave a state far below the 2 MB payload limit', () => {
  const state = opened();
  const huge = (n: number): SourceAlert => ({
    fingerprint: `${'f'.repeat(190)}${n}`,
    status: 'firing',
    summary: 's'.repeat(2000),
    labels: Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`label-${i}`, 'v'.repeat(2000)])),
    source: 'alertmanager',
  });
  for (let i = 0; i < 5000; i++) ingestAlerts(state, [huge(i)], T0);
  for (let i = 0; i < 300; i++) apply(state, 'addNote', { by: 'x', text: 'n'.repeat(4000) }, T0);
  expect(state.alertStatus).toHaveLength(2000);
  expect(JSON.stringify(state).length).toBeLessThan(1_600_000);
});

describe('alerts: resends change nothing and wake nothing', () => {
  const alert = (fp: string, status: SourceAlert['status'] = 'firing'): SourceAlert => ({
    fingerprint: fp,
    status,
    summary: fp,
    labels: {},
    source: 'alertmanager',
  });

  test('a resend returns false and adds no timeline entry; a change returns true', () => {
    const state = opened();
    expect(ingestAlerts(state, [alert('a')], T0)).toBe(true);
    const entries = state.timeline.length;
    for (let i = 0; i < 1000; i++) expect(ingestAlerts(state, [alert('a')], T0)).toBe(false);
    expect(state.timeline.length).toBe(entries);
    expect(ingestAlerts(state, [alert('a', 'resolved')], T0)).toBe(true);
    expect(state.pendingResolve).toEqual({ by: 'alerts', summary: 'every source alert resolved' });
  });

  test("an alert's links are kept when they are http(s) and of a URL's length; anything else is dropped", () => {
    const state = opened();
    const long = `https://x.example/${'a'.repeat(1000)}`;
    const links = {
      source: 'http://prometheus.example/graph',
      silence: 'https://am.example/#/silences/new',
      dashboard: 'javascript:alert(1)',
      panel: long,
      extra: 'https://not-a-kind.example',
    };
    ingestAlerts(state, [{ ...alert('linked'), links } as SourceAlert], T0);
    expect(state.alerts.at(-1)!.links).toEqual({
      source: 'http://prometheus.example/graph',
      silence: 'https://am.example/#/silences/new',
    });
    ingestAlerts(state, [{ ...alert('unlinked'), links: 'nonsense' } as unknown as SourceAlert], T0);
    expect(state.alerts.at(-1)).not.toHaveProperty('links');
  });

  test('state stays bounded: 2,000 distinct alerts keep 200 details and every fingerprint (2,000 at most)', () => {
    const state = opened();
    record(state, T0, 'opened', 'incident opened', { announce: false });
    for (let i = 0; i < 2000; i++) ingestAlerts(state, [alert(`fp-${i}`)], T0);
    expect(state.alerts).toHaveLength(200);
    expect(state.alertStatus).toHaveLength(2000);
    expect(state.timeline.length).toBeLessThanOrEqual(300);
    // 2,000 alert entries + "opened", 300 kept; the rest wait for the journal (100 at most) or are lost
    // (no journal is written in a pure test: this is the bound when it cannot be).
    expect(state.journalQueue).toHaveLength(100);
    expect(state.timelineDropped).toBe(2000 + 1 - 300 - 100);
    expect(state.timeline[0].type).toBe('opened');
    expect(JSON.stringify(state).length).toBeLessThan(1_000_000);
  });
});
