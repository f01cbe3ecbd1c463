/**
 * A worker stopped with SIGTERM (a deploy, a node drain) while a page is in flight: within the grace time
 * the page is finished and reported once; past it the call is cancelled (the HTTP request aborted), and
 * the next worker sends it again under the same PagerDuty dedup key, so people are notified once.
 */
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { killGroup } from '../../scripts/testbed/local-services';
import { incidentWorkflow } from '../../workflows/incident';
import { statusQuery } from '../../domain/messages';
import { writeTestConfig } from '../../scripts/testbed/config';
import { eventually } from '../../scripts/testbed/eventually';
import { FakePagerDuty } from '../support/fake-saas';
import { EventType, historyEvents, type HistoryEvent } from '../../scripts/testbed/history';
import { describeWith, serviceValue } from '../../scripts/testbed/services';
import { tempDir, uniqueTaskQueue } from '../../scripts/testbed/temporal';
import { spawnWorkerProcess } from '../support/worker-process';

const ROUTING_KEY = 'pd-routing-key-graceful-primary';
// The worker's shutdownGraceTime (workers/worker.ts).
const GRACE_MS = 20_000;

const eventsOfType = (events: readonly HistoryEvent[], type: number) =>
  events.filter((e) => e.eventType === type);

describeWith(['temporal'], 'a worker stopped with SIGTERM while a page is in flight', () => {
  let connection: Connection;
  let client: Client;
  const pd = new FakePagerDuty();
  const workers: ChildProcess[] = [];
  const handles: WorkflowHandle[] = [];
  let configFile: string;

  beforeAll(async () => {
    await pd.start();
    connection = await Connection.connect({ address: serviceValue('temporal') });
    client = new Client({ connection });
    const dir = tempDir('graceful-');
    configFile = writeTestConfig(dir, {
      pagerduty: { eventsUrl: pd.eventsUrl },
      journal: { file: path.join(dir, 'notifications.jsonl') },
      review: { directory: path.join(dir, 'reviews') },
    });
  });
  afterEach(() => {
    pd.latencyMs = 0;
  });
  afterAll(async () => {
    for (const h of handles) await h.terminate('suite finished').catch(() => undefined);
    for (const w of workers) await killGroup(w, 1000);
    await connection?.close();
    await pd.stop();
  });

  function startWorker(taskQueue: string) {
    const child = spawnWorkerProcess(taskQueue, {
      RUNBOOKS_CONFIG: configFile,
      PD_ROUTING_KEY_PRIMARY: ROUTING_KEY,
    });
    workers.push(child);
    const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
      child.once('exit', (code) => resolve({ code, at: Date.now() })),
    );
    return { child, exited };
  }

  async function openWithPageInFlight(name: string) {
    const taskQueue = uniqueTaskQueue(name);
    const first = startWorker(taskQueue);
    const handle = await client.workflow.start(incidentWorkflow, {
      taskQueue,
      workflowId: `${name}-${Date.now()}`,
      args: [
        {
          dedupKey: name,
          service: 'checkout',
          scenario: 'health',
          severity: 'P1',
          summary: `${name} drill`,
          security: false,
        },
      ],
    });
    handles.push(handle);
    // The page has reached PagerDuty, which is slow to answer: the activity is in flight.
    const request = await eventually(
      async () => {
        const r = pd.requests.find(
          (q) =>
            String(q.body.dedup_key).endsWith('/page-1') &&
            String((q.body.payload as { summary?: string } | undefined)?.summary).includes(`${name} drill`),
        );
        expect(r).toBeDefined();
        return r!;
      },
      90_000,
      50,
    );
    first.child.kill('SIGTERM');
    return { taskQueue, first, handle, request, dedupKey: String(request.body.dedup_key) };
  }

  const triggersOf = (dedupKey: string) =>
    pd.requests.filter((r) => r.body.dedup_key === dedupKey && r.body.event_action === 'trigger');

  test('within the grace time the page finishes, is recorded once, and the worker exits cleanly', async () => {
    pd.latencyMs = 4000;
    const { taskQueue, first, handle, request, dedupKey } = await openWithPageInFlight('graceful');
    const exit = await first.exited;
    expect(exit.code).toBe(0);
    // It waited for PagerDuty's answer before leaving, and did not wait for the whole grace time.
    expect(exit.at - request.at).toBeGreaterThanOrEqual(pd.latencyMs);
    expect(exit.at - request.at).toBeLessThan(GRACE_MS);
    expect(pd.abandoned).toBe(0);

    startWorker(taskQueue);
    const view = await eventually(async () => {
      const v = await handle.query(statusQuery);
      expect(v.paged.find((p) => p.dedupKey === dedupKey)?.delivered).toBe(true);
      return v;
    }, 60_000);
    expect(view.paged.filter((p) => p.level === 0)).toHaveLength(1);
    const events = await historyEvents(handle);
    const started = eventsOfType(events, EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED).filter(
      (e) => e.activityTaskStartedEventAttributes,
    );
    // One attempt, completed by the worker that was stopped: not lost, not repeated.
    expect(started.map((e) => e.activityTaskStartedEventAttributes?.attempt)).toEqual(started.map(() => 1));
    expect(eventsOfType(events, EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED)).toHaveLength(0);
    expect(eventsOfType(events, EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT)).toHaveLength(0);
    expect(triggersOf(dedupKey)).toHaveLength(1);
    expect(pd.notifications(ROUTING_KEY)).toBeGreaterThanOrEqual(1);
  });

  test('past the grace time the call is cancelled, and the next worker pages under the same dedup key', async () => {
    pd.latencyMs = GRACE_MS + 10_000;
    const before = pd.abandoned;
    const notifiedBefore = pd.notifications(ROUTING_KEY);
    const { taskQueue, first, handle, request, dedupKey } = await openWithPageInFlight('cancelled');
    const exit = await first.exited;
    // The worker left at the end of its grace time, not when PagerDuty would have answered.
    expect(exit.at - request.at).toBeLessThan(pd.latencyMs);
    // The HTTP call was aborted, not left running behind Temporal's back.
    await eventually(async () => expect(pd.abandoned).toBe(before + 1), pd.latencyMs + 5000);

    pd.latencyMs = 0;
    startWorker(taskQueue);
    await eventually(async () => {
      const v = await handle.query(statusQuery);
      expect(v.paged.find((p) => p.dedupKey === dedupKey)?.delivered).toBe(true);
    }, 90_000);
    // Sent twice (the cancelled attempt and the retry) under one dedup key: PagerDuty notified once.
    expect(triggersOf(dedupKey)).toHaveLength(2);
    expect(pd.notifications(ROUTING_KEY) - notifiedBefore).toBe(1);
  });
});
