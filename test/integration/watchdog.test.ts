/**
 * The pager's own pager, on the dev server: an incident whose workflow tasks keep failing, and one
 * terminated while triggered, are each reported once to the on-call by a page, and to the thread.
 */
import { createHmac, randomBytes } from 'node:crypto';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Worker } from '@temporalio/worker';
import { workerMetrics } from '../../activities/metrics';
import { encodeButtonValue } from '../../activities/slack-buttons';
import { incidentWorkflow } from '../../workflows/incident';
import { statusQuery } from '../../domain/messages';
import { incidentWatchdogWorkflow } from '../../workflows/watchdog';
import { testConfig } from '../../scripts/testbed/config';
import { startDevWorker, type DevWorker } from '../support/dev-server';
import { eventually } from '../../scripts/testbed/eventually';
import { completedActivities, historyEvents } from '../../scripts/testbed/history';
import { startIntake } from '../support/intake';
import { FakePagerDuty, FakeSlack } from '../support/fake-saas';
import { describeWith, serviceValue } from '../../scripts/testbed/services';
import { uniqueTaskQueue } from '../../scripts/testbed/temporal';

const SLACK_SECRET = 'slack-signing-secret-for-watchdog';
const PD_SECRET = 'pagerduty-webhook-secret-for-watchdog';
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

  // The poisoned incident runs on a queue of its own, polled by a worker of the poisoned bundle.
  const poisonedQueue = uniqueTaskQueue('poisoned');
  let poisoned: WorkflowHandle;
  let connection: NativeConnection;
  let poisonedWorker: Worker;
  let poisonedRun: Promise<void>;

  beforeAll(async () => {
    await Promise.all([slack.start(), pd.start()]);
    dev = await startDevWorker(
      testConfig({ slack: { apiUrl: slack.apiUrl }, pagerduty: { eventsUrl: pd.eventsUrl } }),
      SECRETS,
    );
    connection = await NativeConnection.connect({ address: serviceValue('temporal') });
    poisonedWorker = await Worker.create({
      connection,
      taskQueue: poisonedQueue,
      workflowsPath: path.resolve(__dirname, '../support/poisoned-workflows.ts'),
      bundlerOptions: { logger: new DefaultLogger('WARN') } as never,
    });
    poisonedRun = poisonedWorker.run();
    poisoned = await dev.client.workflow.start('incidentWorkflow', {
      taskQueue: poisonedQueue,
      workflowId: `incident-${randomBytes(10).toString('hex')}`,
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
    handles.push(poisoned);
  });
  afterAll(async () => {
    for (const h of handles) await h.terminate('suite finished').catch(() => undefined);
    poisonedWorker?.shutdown();
    await poisonedRun;
    await connection?.close();
    await dev?.close();
    await Promise.all([slack.stop(), pd.stop()]);
  });

  async function watch(taskQueue: string, terminatedSince?: string, remindEveryMs?: number) {
    const handle = await dev.client.workflow.start(incidentWatchdogWorkflow, {
      taskQueue: dev.taskQueue,
      workflowId: `watchdog-${taskQueue}`,
      args: [{ taskQueue, everyMs: 1000, failedAttempts: 2, terminatedSince, remindEveryMs }],
    });
    handles.push(handle);
    return handle;
  }

  test('an incident whose workflow task always fails is paged about once, with its cause and a UI link', async () => {
    const watchdog = await watch(poisonedQueue, undefined, 20_000);
    const [page] = await eventually(async () => {
      const found = triggers(/is stuck/);
      expect(found).toHaveLength(1);
      return found;
    }, 90_000);
    expect(page.routing_key).toBe(SECRETS.PD_ROUTING_KEY_PRIMARY);
    const summary = String((page.payload as { summary: string }).summary);
    expect(summary).toContain(`incident ${poisoned.workflowId}-`);
    expect(summary).toContain('poisoned: this workflow task always fails');
    expect(summary).toContain(`/workflows/${poisoned.workflowId}`);
    expect(await workerMetrics.getSingleMetricAsString('durable_runbooks_stuck_incidents')).toMatch(
      /durable_runbooks_stuck_incidents [1-9]/,
    );
    // Later scans (as the watchdog's history records them) find it again and do not page again, until the
    // reminder is due: a new page (a new alert).
    const scans = async () => completedActivities(await historyEvents(watchdog), 'findStuckIncidents').length;
    const seen = await scans();
    await eventually(async () => expect(await scans()).toBeGreaterThanOrEqual(seen + 3), 30_000);
    expect(triggers(/is stuck/)).toHaveLength(1);
    const reminder = await eventually(async () => {
      const found = triggers(/is stuck/);
      expect(found).toHaveLength(2);
      return found[1];
    }, 45_000);
    expect(String((reminder.payload as { summary: string }).summary)).toContain('(reminder 1: still stuck)');
    expect(reminder.dedup_key).not.toBe(page.dedup_key);
  });

  test('a responder on Slack or PagerDuty is told the incident did not answer, with the UI link', async () => {
    const intake = await startIntake({
      client: dev.client,
      config: testConfig(),
      taskQueue: poisonedQueue,
      env: { SLACK_SIGNING_SECRET: SLACK_SECRET, PAGERDUTY_WEBHOOK_SECRET: PD_SECRET },
    });
    try {
      const payload = JSON.stringify({
        type: 'block_actions',
        user: { id: 'U0PRIMARY', username: 'carol' },
        actions: [
          {
            action_id: 'incident_acknowledge',
            value: encodeButtonValue({
              workflowId: poisoned.workflowId,
              incidentId: `${poisoned.workflowId}-00000000`,
            }),
          },
        ],
      });
      const form = `payload=${encodeURIComponent(payload)}`;
      const ts = Math.floor(Date.now() / 1000);
      const clicked = await intake.post('/slack/interactions', form, {
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-request-timestamp': String(ts),
        'x-slack-signature': `v0=${createHmac('sha256', SLACK_SECRET).update(`v0:${ts}:${form}`).digest('hex')}`,
      });
      expect(clicked.status).toBe(200);
      expect(clicked.data.text).toMatch(
        /^Not done: incident .* (did not answer within 3 s|could not answer \(.*\)); its workflow may be stuck/,
      );
      expect(clicked.data.text).toContain(`/workflows/${poisoned.workflowId}`);
      const body = JSON.stringify({
        event: {
          id: `E-${Date.now()}`,
          occurred_at: new Date().toISOString(),
          event_type: 'incident.acknowledged',
          resource_type: 'incident',
          agent: { id: 'P0PRIMARY', summary: 'Dana' },
          data: {
            id: 'Q1',
            type: 'incident',
            incident_key: `${poisoned.workflowId}-00000000/page-1`,
            status: 'acknowledged',
          },
        },
      });
      const acked = await intake.post('/pagerduty/webhooks', body, {
        'x-pagerduty-signature': `v1=${createHmac('sha256', PD_SECRET).update(body).digest('hex')}`,
      });
      // 503: PagerDuty retries, and the body says what it means.
      expect(acked.status).toBe(503);
      expect(acked.data.error).toMatch(/may be stuck/);
    } finally {
      await intake.close();
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
    // Terminations from the watchdog's first scan on count; this one may come before that scan.
    await watch(dev.taskQueue, new Date(Date.now() - 1000).toISOString());
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
