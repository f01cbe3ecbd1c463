/**
 * The incident engine's promises on workflow time: a dead Slack costs the ladder nothing, downtime does
 * not end in a burst of pages, and a long incident continues as new with its identity and its state.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { IncidentWorker } from '../../workers/worker';
import type { WorkflowHandle } from '@temporalio/client';
import { incidentWorkflow } from '../../workflows/incident';
import { acknowledgeUpdate, alertSignal, statusQuery } from '../../domain/messages';
import { formatElapsed } from '../../domain/policy';
import type { IncidentInput, IncidentStatusView, SourceAlert } from '../../domain/types';
import { testConfig } from '../../scripts/testbed/config';
import { FakeSlack } from '../support/fake-saas';
import { eventually } from '../../scripts/testbed/eventually';
import { EventType, historyEvents, waitUntilIdle } from '../../scripts/testbed/history';
import { describeWith } from '../../scripts/testbed/services';
import {
  createTestWorker,
  createTimeSkippingEnv,
  tempDir,
  uniqueTaskQueue,
} from '../../scripts/testbed/temporal';

const SLACK_TOKEN = 'xoxb-engine-test-token';

describeWith(['testServer'], 'incident engine on workflow time (time-skipping server)', () => {
  let env: TestWorkflowEnvironment;
  let worker: IncidentWorker | undefined;
  let running: Promise<void> | undefined;
  const slack = new FakeSlack(SLACK_TOKEN);
  const taskQueue = uniqueTaskQueue('engine');
  const baseDir = tempDir();
  const handles: WorkflowHandle[] = [];
  const config = testConfig({
    slack: { apiUrl: 'http://127.0.0.1:1/' }, // replaced by the contract server's address in beforeAll
    history: { continueAsNewAfterEvents: 200 },
    severityPolicy: { P1: { ackTimeout: null } },
  });

  const startWorker = async () => {
    worker = await createTestWorker({
      connection: env.nativeConnection,
      config,
      taskQueue,
      baseDir,
      env: { SLACK_BOT_TOKEN: SLACK_TOKEN },
    });
    running = worker.run();
  };
  const stopWorker = async () => {
    worker?.shutdown();
    await running;
    worker = undefined;
  };

  beforeAll(async () => {
    await slack.start();
    config.slack.apiUrl = slack.apiUrl;
    env = await createTimeSkippingEnv();
    await startWorker();
  });
  afterEach(async () => {
    slack.outage = null;
    if (!worker) await startWorker();
    for (const h of handles.splice(0)) {
      await waitUntilIdle(h, 10_000).catch(() => undefined);
      await h.terminate('test finished').catch(() => undefined);
    }
  });
  afterAll(async () => {
    await stopWorker();
    await env?.teardown();
    await slack.stop();
  });

  let seq = 0;
  async function open(partial: Partial<IncidentInput> = {}) {
    seq += 1;
    const handle = await env.client.workflow.start(incidentWorkflow, {
      taskQueue,
      workflowId: `engine-${seq}-${Date.now()}`,
      args: [
        {
          dedupKey: `e-${seq}`,
          service: 'checkout',
          scenario: 'health',
          severity: 'P1',
          summary: `engine ${seq}`,
          security: false,
          ...partial,
        },
      ],
    });
    handles.push(handle);
    return handle;
  }
  const since = (v: IncidentStatusView, iso: string) =>
    formatElapsed(Date.parse(iso) - Date.parse(v.createdAt));
  const ladder = (v: IncidentStatusView) =>
    v.paged.filter((p) => p.level >= 0).map((p) => `${since(v, p.at)} ${p.levelName}`);

  test('Slack answering 429 (Retry-After 1 h) and 500 for an hour: every page is on time to the second', async () => {
    slack.outage = [
      { status: 429, retryAfter: 3600, body: { ok: false, error: 'ratelimited' } },
      { status: 500, body: { ok: false, error: 'internal_error' } },
    ];
    const handle = await open();
    await env.sleep('50m');
    const view = await handle.query(statusQuery);
    expect(ladder(view)).toEqual([
      '0:00 primary on-call',
      '15:00 secondary on-call',
      '30:00 tech lead',
      '45:00 DevOps manager',
    ]);
    // Slack was really down (refused every call) and it was really tried.
    expect(slack.messages().length).toBeGreaterThan(0);
    expect(view.timeline.some((e) => e.type === 'error' && /Slack .* failed/.test(e.message))).toBe(true);
    slack.outage = null;
  });

  test('a long incident continues as new: same incident id, state carried, commands still answered', async () => {
    const handle = await open({ severity: 'P2' });
    await env.sleep('1s');
    const first = await handle.query(statusQuery);
    const alert = (n: number, status: SourceAlert['status'] = 'firing'): SourceAlert => ({
      fingerprint: `fp-${n}`,
      status,
      summary: `alert ${n}`,
      labels: { n: String(n) },
      source: 'alertmanager',
    });
    // Distinct alerts cost events; resends of held alerts change nothing and wake nothing.
    for (let n = 0; n < 120; n++) await handle.signal(alertSignal, { alerts: [alert(n)] });
    for (let n = 0; n < 40; n++) await handle.signal(alertSignal, { alerts: [alert(n % 120)] });
    // Every signal was accepted; wait until the (new) run has worked through them all, however slow the
    // machine: none may be lost across the run boundary.
    const view = await eventually(async () => {
      const v = await handle.query(statusQuery);
      expect(v.alertCounts).toMatchObject({ known: 120, firing: 120 });
      expect(v.run).toBeGreaterThanOrEqual(1); // past 200 events it continues at its next quiet moment
      return v;
    }, 60_000);
    expect(view.incidentId).toBe(first.incidentId);
    expect(ladder(view)).toEqual(['0:00 primary on-call']);
    expect(view.timeline[0].message).toContain('incident opened');
    const result = await handle.executeUpdate(acknowledgeUpdate, { args: [{ by: 'carol' }] });
    expect(result).toEqual({ message: 'acknowledged by carol', status: 'acknowledged' });
    await expect(handle.executeUpdate(acknowledgeUpdate, { args: [{ by: 'dan' }] })).rejects.toThrow();
    // The first run continued as new at its first quiet moment past the configured 200 events (Slack
    // and handlers finished first), with no failed task in either run.
    const firstRun = await historyEvents(
      env.client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId),
    );
    expect(firstRun[firstRun.length - 1].eventType).toBe(
      EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
    );
    expect(firstRun.length).toBeGreaterThanOrEqual(200);
    // A continue-as-new refused because signals came in costs a few events each time; still far below
    // Temporal's 51,200 (and its own 5,000 default).
    expect(firstRun.length).toBeLessThan(600);
    // No task timed out or failed for a fault; a continue-as-new the server refused because signals came
    // in meanwhile (UNHANDLED_COMMAND) is how Temporal keeps those signals, and the task runs again.
    const UNHANDLED_COMMAND = 1;
    for (const events of [firstRun, await historyEvents(handle)]) {
      expect(events.some((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT)).toBe(false);
      const faults = events.filter(
        (e) =>
          e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED &&
          e.workflowTaskFailedEventAttributes?.cause !== UNHANDLED_COMMAND,
      );
      expect(faults).toEqual([]);
    }
  });
});
