/**
 * The incident engine's promises on workflow time: a dead Slack costs the ladder nothing, downtime does
 * not end in a burst of pages.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { IncidentWorker } from '../../workers/worker';
import type { WorkflowHandle } from '@temporalio/client';
import { incidentWorkflow } from '../../workflows/incident';
import { statusQuery } from '../../domain/messages';
import { formatElapsed } from '../../domain/policy';
import type { IncidentInput, IncidentStatusView } from '../../domain/types';
import { testConfig } from '../../scripts/testbed/config';
import { FakeSlack } from '../support/fake-saas';
import { waitUntilIdle } from '../../scripts/testbed/history';
import { describeWith } from '../../scripts/testbed/services';
import type { SqlClient } from '../../store';
import { freshStore } from '../support/fresh-postgres';
import {
  createTestWorker,
  createTimeSkippingEnv,
  tempDir,
  uniqueTaskQueue,
} from '../../scripts/testbed/temporal';

const SLACK_TOKEN = 'xoxb-engine-test-token';

describeWith(['testServer', 'postgres'], 'incident engine on workflow time (time-skipping server)', () => {
  let env: TestWorkflowEnvironment;
  let worker: IncidentWorker | undefined;
  let store: SqlClient;
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
      store,
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
    store = await freshStore('engine');
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
    await store?.close();
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
  // Continue-as-new is tested on a real server (test/integration/continue-as-new.test.ts): this server
  // answers a refused hand-over as a success, and the signals that caused the refusal are lost.
});
