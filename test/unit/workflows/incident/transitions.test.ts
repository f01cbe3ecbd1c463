/** Pure state changes of the incident (workflows/incident/transitions.ts, lifecycle.ts) that the loop's effects rely on. */
import { toIncidentPolicy } from '../../../../activities/policy';
import { initialState, type IncidentState } from '../../../../workflows/incident/state';
import {
  adoptPolicy,
  beginMonitoring,
  beginResponse,
  closeSuppressed,
  healthSummary,
  healthVerified,
  nextSlackItem,
  noticeSent,
  openAfterMaintenance,
  openingTasks,
  pageInstead,
  queueAnnouncement,
  queueStatusUpdate,
  runbookEnded,
  suppress,
  takeTicket,
  watchChecked,
} from '../../../../workflows/incident/lifecycle';
import { addPage, pageSent } from '../../../../workflows/incident/transitions';
import type { Severity } from '../../../../domain/types';
import { testConfig } from '../../../../scripts/testbed/config';

const T0 = Date.parse('2026-11-27T00:00:00Z');
const MIN = 60_000;

function opened(severity: Severity = 'P1', security = false): IncidentState {
  const state = initialState(
    { dedupKey: 'k', service: 'checkout', scenario: 'health', severity, summary: 's', security },
    { incidentId: 'incident-1', workflowId: 'wf-1' },
    T0,
  );
  state.policy = toIncidentPolicy(testConfig(), 'checkout');
  state.nextEscalationAt = T0 + 15 * MIN;
  state.nextStatusUpdateAt = T0 + 30 * MIN;
  return state;
}

describe('what opening an incident involves', () => {
  test('security first when there is a security team, the announcement and status page always', () => {
    const state = opened('P1', true);
    state.policy!.security.contactIds = ['sec'];
    state.policy!.severity.P1.notify = 'page';
    state.policy!.severity.P1.notifyManagement = true;
    state.policy!.management.contactIds = ['boss'];
    state.policy!.runbook = null;
    expect(openingTasks(state)).toEqual(['security', 'announce', 'status-page', 'management']);
  });

  test('a ticket for a ticket rule; no security, management or runbook where there are none', () => {
    const state = opened('P3', true);
    state.policy!.security.contactIds = [];
    state.policy!.severity.P3.notify = 'ticket';
    state.policy!.severity.P3.notifyManagement = true;
    state.policy!.management.contactIds = [];
    state.policy!.runbook = null;
    expect(openingTasks(state)).toEqual(['announce', 'ticket', 'status-page']);
  });
});

describe('suppression by a maintenance window', () => {
  const window = { id: 'w1', from: T0 - MIN, to: T0 + 120 * MIN, by: 'alice', reason: 'db upgrade' };

  test('no page, no status update, no opening; checked again within the policy interval; said once', () => {
    const state = opened();
    state.opening = ['announce'];
    state.policy!.maintenanceCheckEveryMs = 5 * MIN;
    suppress(state, window, T0);
    expect(state).toMatchObject({
      status: 'suppressed',
      suppressedUntil: window.to,
      maintenanceCheckAt: T0 + 5 * MIN,
      nextEscalationAt: null,
      nextStatusUpdateAt: null,
      opening: [],
    });
    const said = state.timeline.filter((e) => e.message.startsWith('suppressed:'));
    expect(said).toHaveLength(1);
    expect(said[0].message).toContain('db upgrade, by alice');
    suppress(state, window, T0 + 5 * MIN); // the same window, checked again
    expect(state.timeline.filter((e) => e.message.startsWith('suppressed:'))).toHaveLength(1);
    expect(state.maintenanceCheckAt).toBe(T0 + 10 * MIN);
  });

  test('the next check is never after the window ends', () => {
    const state = opened();
    state.policy!.maintenanceCheckEveryMs = 500 * MIN;
    suppress(state, window, T0);
    expect(state.maintenanceCheckAt).toBe(window.to);
  });
});

describe('the Slack lane', () => {
  test('queued items first, then the outbox as one post within 3,500 characters, with what was dropped', () => {
    const state = opened();
    state.slackQueue.push({ kind: 'thread', text: 'queued' });
    state.outbox.push(...Array.from({ length: 40 }, (_, i) => `${i}`.padEnd(100, '.')));
    state.outboxDropped = 3;
    expect(nextSlackItem(state)).toEqual({ kind: 'thread', text: 'queued' });
    const first = nextSlackItem(state) as { text: string };
    expect(first.text.length).toBeLessThan(3600);
    expect(first.text).toContain('(3 older updates were not posted while Slack was unreachable)');
    const second = nextSlackItem(state) as { text: string };
    expect(second.text.split('\n')[0].startsWith('34')).toBe(true);
    expect(second.text).not.toContain('older updates');
    expect(nextSlackItem(state)).toBeNull();
  });

  test('a failed Slack notice to a ladder level is owed as a page (revision 2), not for older runs', () => {
    const state = opened();
    state.paged.push({
      seq: 7,
      level: 1,
      levelName: 'secondary on-call',
      contactIds: ['bob'],
      contacts: ['Bob'],
      at: new Date(T0).toISOString(),
      channel: 'slack',
      reason: 'r',
      delivered: false,
      round: 0,
    } as never);
    const notice = {
      kind: 'notice',
      pageSeq: 7,
      levelName: 'secondary on-call',
      contactIds: ['bob'],
      reason: 'r',
    };
    state.policy!.revision = 1;
    pageInstead(state, notice as never, 'channel_not_found');
    expect(state.pagesOwed ?? []).toEqual([]);
    state.policy!.revision = 2;
    pageInstead(state, notice as never, 'channel_not_found');
    expect(state.pagesOwed).toEqual([
      {
        level: 1,
        reason: 'the Slack notice to secondary on-call failed (channel_not_found): paging instead',
      },
    ]);
  });
});

test('health in one line: none configured, or each check with its verdict', () => {
  expect(healthSummary({ healthy: true, checks: [] })).toBe(
    'no health endpoints configured for this service',
  );
  expect(
    healthSummary({
      healthy: false,
      checks: [
        { url: 'http://a/healthz', detail: '503' },
        { url: 'http://b/healthz', detail: '200' },
      ],
    }),
  ).toBe('failing — http://a/healthz 503; http://b/healthz 200');
});

describe('after maintenance', () => {
  test('the alert still fires when the window ends: triggered, the ladder and status updates timed from now', () => {
    const state = opened();
    suppress(state, { id: 'w', from: T0, to: T0 + 60 * MIN, by: 'alice' }, T0);
    openAfterMaintenance(state, T0 + 60 * MIN);
    expect(state.status).toBe('triggered');
    expect([state.suppressedUntil, state.maintenanceCheckAt]).toEqual([null, null]);
    expect(state.nextEscalationAt).toBeGreaterThanOrEqual(T0 + 60 * MIN);
    expect(state.nextStatusUpdateAt).toBeGreaterThan(T0 + 60 * MIN);
    expect(state.opening).toEqual(openingTasks(state));
    expect(state.timeline.at(-1)).toMatchObject({ type: 'reopened' });
  });

  test('resolved while suppressed: closed with nothing to post, page or review', () => {
    const state = opened();
    suppress(state, { id: 'w', from: T0, to: T0 + 60 * MIN, by: 'alice' }, T0);
    state.outbox.push('queued line');
    state.slackQueue.push({ kind: 'thread', text: 'x' });
    state.pendingResolve = { by: 'alerts', summary: 'every source alert resolved' };
    closeSuppressed(state, T0 + 5 * MIN);
    expect(state).toMatchObject({
      status: 'resolved',
      resolvedAt: T0 + 5 * MIN,
      resolvedBy: 'alerts',
      pendingResolve: null,
      suppressedUntil: null,
      outbox: [],
      slackQueue: [],
      closing: [],
    });
    expect(state.timeline.at(-1)?.message).toBe(
      'resolved during maintenance (every source alert resolved): nobody was paged',
    );
  });
});

describe('the runbook ends', () => {
  const finished = {
    scenario: 'health' as const,
    cause: 'crashed',
    result: 'mitigated' as const,
    summary: 'restarted',
    actions: [],
  };

  test('finished: its outcome in the timeline, approvals dropped, a mitigating incident back to people', () => {
    const state = opened();
    state.status = 'mitigating';
    state.runbook = { workflowId: 'rb', running: true, runs: 1 };
    state.pendingApprovals = [{ step: 's', text: 't' } as never];
    state.runbookOutcome = finished;
    runbookEnded(state, T0);
    expect(state).toMatchObject({ status: 'acknowledged', runbookOutcome: null, pendingApprovals: [] });
    expect(state.runbook?.running).toBe(false);
    expect(state.timeline.at(-1)?.message).toBe(
      'runbook health finished: mitigated (cause: crashed) — restarted',
    );
  });

  test('failed while running is a failure; after the close stopped it, the end is only confirmed', () => {
    const running = opened();
    running.runbook = { workflowId: 'rb', running: true, runs: 1 };
    running.runbookOutcome = { failed: 'docker unreachable' };
    runbookEnded(running, T0);
    expect(running.timeline.at(-1)?.message).toBe('runbook failed: docker unreachable');
    const stopped = opened();
    stopped.status = 'resolved';
    stopped.runbook = { workflowId: 'rb', running: false, runs: 1 };
    stopped.runbookOutcome = { failed: 'cancelled' };
    runbookEnded(stopped, T0);
    expect(stopped.timeline.at(-1)?.message).toBe('runbook ended: cancelled');
    expect(stopped.status).toBe('resolved');
  });
});

test('a status update is queued for the thread, recorded, and the next one timed from when it was due', () => {
  const state = opened('P1');
  const due = T0 + 30 * MIN;
  queueStatusUpdate(state, due, due + 2 * MIN);
  expect(state.slackQueue).toEqual([{ kind: 'thread', text: expect.any(String) }]);
  expect(state.timeline.at(-1)).toMatchObject({ type: 'status-update' });
  expect(state.nextStatusUpdateAt).toBeGreaterThan(due + 2 * MIN);
  expect((state.nextStatusUpdateAt! - due) % (state.policy!.severity.P1.statusUpdateEveryMs ?? 1)).toBe(0);
});

describe('a page and its answer', () => {
  const target = { name: 'primary on-call', contactIds: ['alice'], contactNames: ['Alice'] };

  test('numbered, kept and keyed for the pager; who is on call joins the reason; the answer recorded', () => {
    const state = opened();
    const page = addPage(
      state,
      { ...target, onCall: 'on call: Alice' } as never,
      { level: 0, channel: 'page', reason: 'first rung', round: 0 },
      T0,
    );
    expect(page).toMatchObject({
      seq: 1,
      level: 0,
      dedupKey: 'incident-1/page-1',
      reason: 'first rung; on call: Alice',
    });
    expect(state.paged).toEqual([page]);
    pageSent(state, page!, { delivered: false, detail: 'PagerDuty 500' }, T0);
    expect(page!.delivered).toBe(false);
    expect(state.timeline.at(-1)?.message).toBe(
      'page NOT delivered to primary on-call (Alice): first rung; on call: Alice — PagerDuty 500',
    );
    expect(addPage(state, target as never, { level: 1, channel: 'page', reason: 'r' }, T0)?.dedupKey).toBe(
      'incident-1/page-2',
    );
  });

  test('a Slack notice is queued for the lane with its page, which the lane answers; undelivered, paged instead', () => {
    const state = opened();
    state.policy!.revision = 2;
    expect(addPage(state, target as never, { level: 0, channel: 'slack', reason: 'P3' }, T0)).toBeNull();
    const notice = state.slackQueue.at(-1);
    expect(notice).toEqual({
      kind: 'notice',
      pageSeq: 1,
      levelName: 'primary on-call',
      contactIds: ['alice'],
      reason: 'P3',
    });
    noticeSent(state, notice as never, { delivered: false, detail: 'channel_not_found' }, T0);
    expect(state.timeline.at(-1)?.message).toBe(
      'notified via Slack primary on-call (Alice): P3 — channel_not_found',
    );
    expect(state.pagesOwed).toEqual([{ level: 0, reason: expect.stringContaining('paging instead') }]);
  });
});

describe('the policy read, and the opening', () => {
  test('an unknown scenario runs the health runbook and says so; the ladder runs from the creation', () => {
    const state = opened();
    state.input = { ...state.input, scenario: 'nope' };
    adoptPolicy(state, { ...state.policy!, knownScenario: false }, T0 + MIN);
    expect(state.input.scenario).toBe('health');
    expect(state.timeline.at(-1)?.message).toBe('start input: scenario "nope" is unknown: using "health"');
    beginResponse(state, T0 + MIN);
    expect(state.nextEscalationAt).toBeLessThanOrEqual(T0 + MIN);
    expect(state.opening).toEqual(openingTasks(state));
  });

  test('the announcement goes first and makes the outbox redundant; one ticket per incident', () => {
    const state = opened();
    state.slackQueue.push({ kind: 'thread', text: 'later' });
    state.outbox.push('paged primary');
    queueAnnouncement(state);
    expect(state.slackQueue[0]).toMatchObject({ kind: 'announce' });
    expect(state.outbox).toEqual([]);
    expect([takeTicket(state), takeTicket(state)]).toEqual([true, false]);
  });
});

describe('resolve: verification, then the stability watch', () => {
  const healthy = {
    healthy: true,
    checks: [{ url: 'http://a/healthz', ok: true, status: 200, detail: '200' }],
  };
  const failing = {
    healthy: false,
    checks: [{ url: 'http://a/healthz', ok: false, status: 503, detail: '503' }],
  };
  function resolving(urls = ['http://a/healthz']): IncidentState {
    const state = opened();
    state.policy!.service.healthUrls = urls;
    state.policy!.stabilityWatchMs = 10 * MIN;
    state.policy!.checkEveryMs = 4 * MIN;
    state.pendingResolve = { by: 'alice', summary: 'rolled back' };
    return state;
  }

  test('monitoring with the clocks stopped, once; a second resolve while monitoring changes nothing', () => {
    const state = resolving();
    expect(beginMonitoring(state, T0)).toBe(true);
    expect(state).toMatchObject({ status: 'monitoring', resolvedBy: 'alice', nextEscalationAt: null });
    state.pendingResolve = { by: 'bob', summary: null };
    expect(beginMonitoring(state, T0)).toBe(false);
    expect(state.resolvedBy).toBe('alice');
  });

  test('failing verification relapses; no endpoints closes at once; else the watch begins', () => {
    const relapse = resolving();
    beginMonitoring(relapse, T0);
    expect(healthVerified(relapse, failing, T0)).toBe(false);
    expect(relapse.pendingRelapse).toBe('health verification failed after resolve');
    const none = resolving([]);
    beginMonitoring(none, T0);
    expect(healthVerified(none, { healthy: true, checks: [] }, T0)).toBe(false);
    expect(none.status).toBe('resolved');
    const watched = resolving();
    beginMonitoring(watched, T0);
    expect(healthVerified(watched, healthy, T0)).toBe(true);
    expect(watched.watch).toEqual({ endsAt: T0 + 10 * MIN, nextCheckAt: T0 + 4 * MIN });
  });

  test('the watch checks until its end, never past it; a failed check relapses', () => {
    const state = resolving();
    beginMonitoring(state, T0);
    healthVerified(state, healthy, T0);
    expect(watchChecked(state, healthy, T0 + 8 * MIN)).toBe('watching');
    expect(state.watch!.nextCheckAt).toBe(T0 + 10 * MIN);
    expect(watchChecked(state, healthy, T0 + 10 * MIN)).toBe('stable');
    expect(watchChecked(state, failing, T0 + 10 * MIN)).toBe('relapse');
    expect(state.pendingRelapse).toBe('health check failed during the stability watch');
  });
});
