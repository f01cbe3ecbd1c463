/**
 * The pager's own pager, on the dev server: an incident whose workflow tasks keep failing, and one
 * terminated while triggered, are each reported once to the on-call by a page, and to the thread.
 */
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Worker } from '@temporalio/worker';
import { workerMetrics } from '../../activities/metrics';
import { incidentWorkflow } from '../../workflows/incident';
import { statusQuery } from '../../workflows/messages';
import { incidentWatchdogWorkflow } from '../../workflows/watchdog';
import { testConfig } from '../support/config';
import { startDevWorker, type DevWorker } from '../support/dev-server';
import { eventually } from '../support/eventually';
import { FakePagerDuty, FakeSlack } from '../support/fake-saas';
import { describeWith, serviceValue } from '../support/services';
import { uniqueTaskQueue } from '../support/temporal';

const SECRETS = {
  SLACK_BOT_TOKEN: 'xoxb-test-0000-watchdog-token',
  PD_ROUTING_KEY_PRIMARY: 'R0WATCHDOGROUTINGKEY00000000001',
};

describeWith(['temporal'], 'the stuck-incident watchdog', () => {
  let dev: DevWorker;
  const slack = new FakeSlack(SECRETS.SLACK_BOT_TOKEN);
  const pd = new FakePagerDuty();
  const handles: WorkflowHandle[] = [];
  const triggers = (match: RegExp) =>
    pd
      .events()
      .filter((e) => e.event_action === 'trigger')
      .filter((e) => match.test(String((e.payload as { summary?: string })?.summary)));

  beforeAll(async () => {
    await Promise.all([slack.start(), pd.start()]);
    dev = await startDevWorker(
      testConfig({ slack: { apiUrl: slack.apiUrl }, pagerduty: { eventsUrl: pd.eventsUrl } }),
      SECRETS,
    );
  });
  afterAll(async () => {
    for (const h of handles) await h.terminate('suite finished').catch(() => undefined);
    await dev?.close();
    await Promise.all([slack.stop(), pd.stop()]);
  });

  async function watch(taskQueue: string) {
    const handle = await dev.client.workflow.start(incidentWatchdogWorkflow, {
      taskQueue: dev.taskQueue,
      workflowId: `watchdog-${taskQueue}`,
      args: [{ taskQueue, everyMs: 1000, failedAttempts: 2 }],
    });
    handles.push(handle);
  }

  test('an incident whose workflow task always fails is paged about once, with its cause and a UI link', async () => {
    // The poisoned incident runs on a queue of its own, polled by a worker of the poisoned bundle.
    const queue = uniqueTaskQueue('poisoned');
    const connection = await NativeConnection.connect({ address: serviceValue('temporal') });
    const poisoned = await Worker.create({
      connection,
      taskQueue: queue,
      workflowsPath: path.resolve(__dirname, '../support/poisoned-workflows.ts'),
      bundlerOptions: { logger: new DefaultLogger('WARN') } as never,
    });
    const running = poisoned.run();
    try {
      const handle = await dev.client.workflow.start('incidentWorkflow', {
        taskQueue: queue,
        workflowId: `poisoned-${Date.now()}`,
        args: [
          {
            dedupKey: 'p',
            service: 'checkout',
            scenario: 'health',
            severity: 'P1',
            summary: 'poisoned',
            security: false,
          },
        ],
      });
      handles.push(handle);
      await watch(queue);
      const [page] = await eventually(async () => {
        const found = triggers(/is stuck/);
        expect(found).toHaveLength(1);
        return found;
      }, 90_000);
      expect(page.routing_key).toBe(SECRETS.PD_ROUTING_KEY_PRIMARY);
      const summary = String((page.payload as { summary: string }).summary);
      expect(summary).toContain(`incident ${handle.workflowId}-`);
      expect(summary).toContain('poisoned: this workflow task always fails');
      expect(summary).toContain(`/workflows/${handle.workflowId}`);
      expect(await workerMetrics.getSingleMetricAsString('durable_runbooks_stuck_incidents')).toMatch(
        /durable_runbooks_stuck_incidents [1-9]/,
      );
      // Later scans find it again and do not page again.
      await new Promise((r) => setTimeout(r, 4000));
      expect(triggers(/is stuck/)).toHaveLength(1);
    } finally {
      poisoned.shutdown();
      await running;
      await connection.close();
    }
  });

  test('an incident terminated while triggered is reported to its thread and paged about', async () => {
    const handle = await dev.client.workflow.start(incidentWorkflow, {
      taskQueue: dev.taskQueue,
      workflowId: `terminated-${Date.now()}`,
      args: [
        {
          dedupKey: 't',
          service: 'checkout',
          scenario: 'health',
          severity: 'P1',
          summary: 'ended by hand',
          security: false,
        },
      ],
    });
    handles.push(handle);
    const view = await eventually(async () => {
      const v = await handle.query(statusQuery);
      expect(v.paged.find((p) => p.level === 0)?.delivered).toBe(true);
      expect(slack.messages().some((m) => String(m.text).includes('ended by hand'))).toBe(true);
      return v;
    }, 30_000);
    await eventually(async () => {
      const described = await handle.describe();
      expect(described.searchAttributes.IncidentStatus).toEqual(['triggered']);
    }, 15_000);
    await watch(dev.taskQueue);
    await handle.terminate('cleaning up by hand');
    const [page] = await eventually(async () => {
      const found = triggers(/was terminated while triggered/);
      expect(found).toHaveLength(1);
      return found;
    }, 60_000);
    expect(String((page.payload as { summary: string }).summary)).toContain(`incident ${view.incidentId}`);
    expect(String((page.payload as { summary: string }).summary)).toContain('cleaning up by hand');
    await eventually(
      async () =>
        expect(slack.messages().some((m) => /was terminated while triggered/.test(String(m.text)))).toBe(
          true,
        ),
      30_000,
    );
  });
});
