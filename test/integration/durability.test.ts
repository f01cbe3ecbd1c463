import type { WorkflowHandle } from '@temporalio/client';
import { incidentWorkflow } from '../../workflows/incident';
import { acknowledgeSignal, statusQuery } from '../../domain/messages';
import { testConfig } from '../../scripts/testbed/config';
import { startDevWorker, type DevWorker } from '../support/dev-server';
import { eventually } from '../../scripts/testbed/eventually';
import { EventType, openTimerDeadlines, waitForEvent, waitUntilIdle } from '../../scripts/testbed/history';
import { escalationStep, formatElapsed } from '../../domain/policy';
import { describeWith } from '../../scripts/testbed/services';

// Long enough that stopping the worker (right after the timer is armed) always wins against the rung, even
// on a slow machine; every wait below is on a history event, never on this interval.
const RUNG_MS = 12_000;
const timerFired = (e: { eventType?: unknown }) => e.eventType === EventType.EVENT_TYPE_TIMER_FIRED;

describeWith(['temporal'], 'escalation survives the worker (dev server, real time)', () => {
  let dev: DevWorker;
  const handles: WorkflowHandle[] = [];
  beforeAll(async () => {
    dev = await startDevWorker(
      testConfig({ severityPolicy: { P1: { respondWithin: `${RUNG_MS}ms`, statusUpdateEvery: null } } }),
    );
  });
  afterAll(async () => {
    for (const h of handles) await h.terminate('suite finished').catch(() => undefined);
    await dev?.close();
  });

  async function openAndWaitForFirstPage(name: string, on: DevWorker = dev) {
    const handle = await on.client.workflow.start(incidentWorkflow, {
      taskQueue: on.taskQueue,
      workflowId: `durable-${name}-${Date.now()}`,
      args: [
        {
          dedupKey: name,
          service: 'checkout',
          scenario: 'health',
          severity: 'P1',
          summary: name,
          security: false,
        },
      ],
    });
    handles.push(handle);
    const view = await eventually(async () => {
      const v = await handle.query(statusQuery);
      expect(v.paged.filter((p) => p.level === 0)).toHaveLength(1);
      expect(v.nextEscalationAt).not.toBeNull();
      return v;
    });
    // Stop only once the workflow is idle on its escalation timer, not in the middle of an activity.
    await waitForEvent(handle, (e) => e.eventType === EventType.EVENT_TYPE_TIMER_STARTED);
    return { handle, view };
  }

  test('an acknowledgement that arrives together with a due escalation wins: nothing more is paged', async () => {
    const { handle, view } = await openAndWaitForFirstPage('ack-race');
    await dev.stop(); // no worker: the due timer fires with nobody to run the page
    expect(view.nextEscalationAt).not.toBeNull();
    await waitForEvent(handle, timerFired, RUNG_MS + 30_000);
    await handle.signal(acknowledgeSignal, { by: 'alice' });
    await dev.start();
    await eventually(async () => expect((await handle.query(statusQuery)).status).toBe('acknowledged'));
    // Idle with one timer left, the acknowledgement timeout: no rung can page before it.
    const events = await waitUntilIdle(handle);
    const after = await handle.query(statusQuery);
    const [ackTimeout, ...others] = openTimerDeadlines(events);
    expect(others).toEqual([]);
    expect(Math.abs(ackTimeout - Date.parse(after.ackExpiresAt as string))).toBeLessThan(1000);
    expect(after.paged.filter((p) => p.level >= 0).map((p) => p.levelName)).toEqual(['primary on-call']);
    expect(after.nextEscalationAt).toBeNull();

    // Both the timer and the signal were in history before the worker saw either: one activation decided.
    const taskStarted = (e: (typeof events)[number]) =>
      e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED;
    const fired = events.findIndex((e) => e.eventType === EventType.EVENT_TYPE_TIMER_FIRED);
    const signalled = events.findIndex(
      (e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'acknowledge',
    );
    expect(fired).toBeGreaterThan(0);
    expect(signalled).toBeGreaterThan(0);
    const nextTaskStarted = events.findIndex((e, i) => i > Math.max(fired, signalled) && taskStarted(e));
    const startedBetween = events
      .slice(Math.min(fired, signalled), Math.max(fired, signalled))
      .some(taskStarted);
    expect(nextTaskStarted).toBeGreaterThan(0);
    expect(startedBetween).toBe(false);
  });

  test('a page that fell due while the worker was down is sent when it returns, and the ladder keeps its times', async () => {
    const { handle, view } = await openAndWaitForFirstPage('worker-down');
    await dev.stop();
    const due = Date.parse(view.nextEscalationAt as string);
    await waitForEvent(handle, timerFired, RUNG_MS + 30_000);
    await dev.start();
    const after = await eventually(async () => {
      const v = await handle.query(statusQuery);
      expect(v.paged.filter((p) => p.level === 1 && p.delivered)).toHaveLength(1);
      return v;
    }, 30_000);
    const late = Date.parse(after.paged.find((p) => p.level === 1)!.at);
    expect(late).toBeGreaterThanOrEqual(due);
    // Later rungs stay anchored to when the pages were due, not to when the worker came back.
    const next = Date.parse(after.nextEscalationAt as string);
    expect(next).toBeGreaterThan(due);
    expect((next - due) % RUNG_MS).toBe(0);
  });

  test('down through three rungs and three status updates: one page of the rung due now, naming those missed, and one update', async () => {
    const config = testConfig({
      severityPolicy: {
        P1: { respondWithin: `${RUNG_MS}ms`, statusUpdateEvery: `${RUNG_MS}ms`, ackTimeout: null },
      },
    });
    const down = await startDevWorker(config);
    try {
      const { handle, view } = await openAndWaitForFirstPage('long-downtime', down);
      await down.stop();
      const created = Date.parse(view.createdAt);
      // Stay down until three rungs and three updates are overdue. Staying longer only makes more of them
      // overdue; the checks below derive what is due from the time of the page itself.
      const backAt = created + 3 * RUNG_MS + RUNG_MS / 2;
      await new Promise((r) => setTimeout(r, Math.max(0, backAt - Date.now())));
      await down.start();
      await eventually(async () => {
        const v = await handle.query(statusQuery);
        expect(v.paged.filter((p) => p.level >= 0 && p.delivered)).toHaveLength(2);
        expect(v.timeline.some((e) => e.type === 'status-update')).toBe(true);
      }, 30_000);
      await waitUntilIdle(handle);
      const after = await handle.query(statusQuery);

      // One page, not a burst: the rung due when the worker came back, naming each rung it stands for.
      const pages = after.paged.filter((p) => p.level >= 0);
      expect(pages).toHaveLength(2);
      const late = pages[1];
      const overdue = Math.floor((Date.parse(late.at) - created) / RUNG_MS);
      expect(overdue).toBeGreaterThanOrEqual(3);
      const { ladder, repeat } = config.escalation;
      const nameOf = (step: number) => ladder[escalationStep(ladder.length, repeat, step)!.level].name;
      expect(late.levelName).toBe(nameOf(overdue));
      const missed = Array.from({ length: overdue - 1 }, (_, i) => i + 1).map(
        (step) => `${nameOf(step)} (due ${formatElapsed(step * RUNG_MS)})`,
      );
      expect(late.reason).toContain(`; missed while no worker could page: ${missed.join(', ')}`);
      // The ladder stays on its times: the next rung is the one after the rung just paged.
      expect(Date.parse(after.nextEscalationAt as string)).toBe(created + (overdue + 1) * RUNG_MS);

      // One status update for the three missed, and the next one on the same cadence.
      const updates = after.timeline.filter((e) => e.type === 'status-update');
      expect(updates).toHaveLength(1);
      const postedAt = Date.parse(updates[0].at);
      const periods = Math.floor((postedAt - created) / RUNG_MS);
      expect(periods).toBeGreaterThanOrEqual(3);
      expect(Date.parse(after.nextStatusUpdateAt as string)).toBe(created + (periods + 1) * RUNG_MS);
      await handle.terminate('test finished');
    } finally {
      await down.close();
    }
  });
});
