import type { WorkflowHandle } from '@temporalio/client';
import { incidentWorkflow } from '../../workflows/incident';
import { acknowledgeSignal, statusQuery } from '../../workflows/messages';
import { testConfig } from '../support/config';
import { startDevWorker, type DevWorker } from '../support/dev-server';
import { eventually } from '../support/eventually';
import { EventType, openTimerDeadlines, waitForEvent, waitUntilIdle } from '../support/history';
import { describeWith } from '../support/services';

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

  async function openAndWaitForFirstPage(name: string) {
    const handle = await dev.client.workflow.start(incidentWorkflow, {
      taskQueue: dev.taskQueue,
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
});
