/** Pure state changes of the incident (workflows/incident/transitions.ts) that the loop's effects rely on. */
import { toIncidentPolicy } from '../../activities/policy';
import { initialState, type IncidentState } from '../../workflows/incident/state';
import {
  closeSuppressed,
  healthSummary,
  nextSlackItem,
  openAfterMaintenance,
  openingTasks,
  pageInstead,
  queueStatusUpdate,
  runbookEnded,
  suppress,
} from '../../workflows/incident/transitions';
import type { Severity } from '../../domain/types';
import { testConfig } from '../../scripts/testbed/config';

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
