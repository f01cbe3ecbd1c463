/**
 * A long incident continues as new with its identity and every message it was sent, on a real Temporal
 * server. Signals paced so that some arrive while a run is handing over: the server refuses that
 * continue-as-new (UNHANDLED_COMMAND) and the task runs again with them, so none is lost.
 *
 * Not on the time-skipping test server: it answers such a refused completion as a success, the SDK keeps the
 * finished run in its cache and sends the same continue-as-new again, and the signals that caused the refusal
 * are in the old run's history but not in the state carried (measured 2026-12-05: up to 17 of 120 alerts in
 * 6 of 14 incidents there; 0 of 120 in 12 incidents here, each with a refused hand-over).
 */
import { acknowledgeUpdate, alertSignal, statusQuery } from '../../domain/messages';
import type { SourceAlert } from '../../domain/types';
import { incidentWorkflow } from '../../workflows/incident';
import { testConfig } from '../../scripts/testbed/config';
import { eventually } from '../../scripts/testbed/eventually';
import { EventType, historyEvents, type HistoryEvent } from '../../scripts/testbed/history';
import { describeWith } from '../../scripts/testbed/services';
import { startDevWorker, type DevWorker } from '../support/dev-server';

const UNHANDLED_COMMAND = 1;

describeWith(['temporal'], 'continue-as-new on a real server (dev server)', () => {
  let dev: DevWorker;
  beforeAll(async () => {
    dev = await startDevWorker(testConfig({ history: { continueAsNewAfterEvents: 200 } }));
  });
  afterAll(async () => dev?.close());

  test('a long incident continues as new: same incident id, every alert carried, commands still answered', async () => {
    const handle = await dev.client.workflow.start(incidentWorkflow, {
      taskQueue: dev.taskQueue,
      workflowId: `can-${Date.now()}`,
      args: [
        {
          dedupKey: 'can',
          service: 'checkout',
          scenario: 'health',
          severity: 'P2',
          summary: 'continue-as-new',
          security: false,
        },
      ],
    });
    const first = await eventually(() => handle.query(statusQuery));
    const alert = (n: number): SourceAlert => ({
      fingerprint: `fp-${n}`,
      status: 'firing',
      summary: `alert ${n}`,
      labels: { n: String(n) },
      source: 'alertmanager',
    });
    // Distinct alerts cost events; resends of held alerts change nothing and wake nothing.
    for (let n = 0; n < 120; n++) {
      await handle.signal(alertSignal, { alerts: [alert(n)] });
      await new Promise((r) => setTimeout(r, 5));
    }
    for (let n = 0; n < 40; n++) await handle.signal(alertSignal, { alerts: [alert(n)] });
    const view = await eventually(async () => {
      const v = await handle.query(statusQuery);
      expect(v.alertCounts).toMatchObject({ known: 120, firing: 120 });
      expect(v.run).toBeGreaterThanOrEqual(1); // past 200 events it continues at its next quiet moment
      return v;
    }, 60_000);
    expect(view.incidentId).toBe(first.incidentId);
    expect(view.paged.filter((p) => p.level >= 0).map((p) => p.levelName)).toEqual(['primary on-call']);
    expect(view.timeline[0].message).toContain('incident opened');
    const result = await handle.executeUpdate(acknowledgeUpdate, { args: [{ by: 'carol' }] });
    expect(result).toEqual({ message: 'acknowledged by carol', status: 'acknowledged' });
    await expect(handle.executeUpdate(acknowledgeUpdate, { args: [{ by: 'dan' }] })).rejects.toThrow();

    // Every run, first to last: each earlier one ended in continue-as-new past the configured 200 events.
    const runs: HistoryEvent[][] = [];
    let runId: string | undefined = handle.firstExecutionRunId;
    while (runId) {
      const events = await historyEvents(dev.client.workflow.getHandle(handle.workflowId, runId));
      runs.push(events);
      runId = events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
    }
    // The acknowledgement may have come at a run's quiet moment past 200 events: that run continued too.
    expect(runs.length).toBeGreaterThanOrEqual((view.run ?? 0) + 1);
    for (const events of runs.slice(0, -1)) {
      expect(events.at(-1)?.eventType).toBe(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW);
      expect(events.length).toBeGreaterThanOrEqual(200);
      // A refused hand-over costs a few events each time; still far below Temporal's 51,200.
      expect(events.length).toBeLessThan(600);
    }
    // Each of the 120 alerts was signalled once to some run, and each is in the state.
    const signalled = runs
      .flat()
      .filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED);
    expect(signalled.length).toBe(160);
    // No task timed out or failed for a fault; a refused continue-as-new (UNHANDLED_COMMAND) is how Temporal
    // keeps the signals that came in meanwhile, and the task runs again with them.
    const failed = runs.flat().filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED);
    expect(failed.filter((e) => e.workflowTaskFailedEventAttributes?.cause !== UNHANDLED_COMMAND)).toEqual(
      [],
    );
    expect(runs.flat().some((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT)).toBe(false);
    console.log(
      `continue-as-new: ${runs.length} runs (${runs.map((r) => r.length).join(', ')} events), ${failed.length} hand-overs refused for signals that came in, 120 of 120 alerts carried`,
    );
    await handle.terminate('test finished');
  });
});
