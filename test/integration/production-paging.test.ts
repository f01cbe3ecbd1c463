/**
 * In production (`NODE_ENV=production`, as the image sets) a page to someone without a PagerDuty routing key
 * is not a page: `npm run worker` refuses to start with a ladder level nobody on can be paged, its `/readyz`
 * fails while a schedule has the pager with someone who cannot be, and such a page is recorded and counted
 * as not delivered (outside production it is logged and counted as `logged`, for `npm start`).
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { onCallOverridesWorkflowId, statusQuery } from '../../domain/messages';
import { killGroup, freePort } from '../../scripts/testbed/local-services';
import { writeTestConfig } from '../../scripts/testbed/config';
import { eventually } from '../../scripts/testbed/eventually';
import { describeWith, serviceValue } from '../../scripts/testbed/services';
import { tempDir, uniqueTaskQueue } from '../../scripts/testbed/temporal';
import { startTestIncident } from '../support/dev-server';
import { FakePagerDuty } from '../support/fake-saas';
import { runCli } from '../support/cli-process';
import { fatalOf } from '../support/files';
import { spawnWorkerProcess } from '../support/worker-process';

const PRIMARY_KEY = 'R0PRODUCTIONPAGINGKEY00000000001';
/** Every routing key of the shipped configuration but the tech lead's (set empty: unset). */
const KEYS = {
  PD_ROUTING_KEY_PRIMARY: PRIMARY_KEY,
  PD_ROUTING_KEY_SECONDARY: 'R0PRODUCTIONPAGINGKEY00000000002',
  PD_ROUTING_KEY_TECH_LEAD: '',
  PD_ROUTING_KEY_MANAGER: 'R0PRODUCTIONPAGINGKEY00000000004',
  PD_ROUTING_KEY_SECURITY: 'R0PRODUCTIONPAGINGKEY00000000005',
};

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.on('close', (code) => resolve(code)));
}

describeWith(['temporal'], 'pages nobody receives, in production', () => {
  const pd = new FakePagerDuty();
  const workers: ChildProcess[] = [];
  let connection: Connection;

  beforeAll(async () => {
    await pd.start();
    connection = await Connection.connect({ address: serviceValue('temporal') });
  });
  afterAll(async () => {
    for (const w of workers) await killGroup(w, 1000);
    await connection?.close();
    await pd.stop();
  });

  test('the worker refuses to start with a level nobody can be paged on, naming it and what is missing', async () => {
    const dir = tempDir('production-refusal-');
    const log = path.join(dir, 'worker.log');
    const child = spawnWorkerProcess(
      uniqueTaskQueue('production-refusal'),
      {
        NODE_ENV: 'production',
        RUNBOOKS_CONFIG: writeTestConfig(dir),
        RUNBOOKS_DATA_DIR: dir,
        ...KEYS,
        PD_ROUTING_KEY_SECONDARY: '',
      },
      log,
    );
    workers.push(child);
    expect(await exited(child)).toBe(1);
    const output = fatalOf(readFileSync(log, 'utf8'));
    expect(output).toContain('NODE_ENV=production: refusing to start');
    expect(output).toContain(
      'escalation.ladder[1] ("secondary on-call"): nobody on it can be paged: Secondary on-call (secondary-oncall): PD_ROUTING_KEY_SECONDARY is not set',
    );
    // The tech lead's level has nobody else either; the levels with a key are not named.
    expect(output).toContain('escalation.ladder[2] ("tech lead")');
    expect(output).not.toContain('escalation.ladder[0]');
    expect(readFileSync(log, 'utf8')).not.toContain(PRIMARY_KEY);
  }, 60_000);

  test('a keyless contact on a level is not paged, said in the timeline and counted; /readyz names the on-call nobody can page', async () => {
    const dir = tempDir('production-paging-');
    const taskQueue = uniqueTaskQueue('production-paging');
    const metricsPort = await freePort();
    let configFile = '';
    const child = spawnWorkerProcess(
      taskQueue,
      {
        NODE_ENV: 'production',
        RUNBOOKS_DATA_DIR: dir,
        WORKER_METRICS_PORT: String(metricsPort),
        ...KEYS,
        RUNBOOKS_CONFIG: (configFile = writeTestConfig(dir, {
          pagerduty: { eventsUrl: pd.eventsUrl },
          // The tech lead holds a rota of their own, all day: a level others can be paged on, whose
          // on-call cannot be.
          schedules: {
            'tech-lead-rota': {
              timeZone: 'UTC',
              layers: [
                {
                  name: 'all day',
                  participants: ['tech-lead'],
                  start: '2026-01-01T00:00',
                  rotation: 'daily',
                },
              ],
            },
          },
          escalation: {
            ladder: [
              { name: 'primary on-call', contacts: ['primary-oncall', 'tech-lead'] },
              { name: 'tech lead rota', contacts: ['secondary-oncall'], schedule: 'tech-lead-rota' },
            ],
          },
        })),
      },
      path.join(dir, 'worker.log'),
    );
    workers.push(child);
    const base = `http://127.0.0.1:${metricsPort}`;
    const ready = await eventually(async () => {
      const r = await fetch(`${base}/readyz`);
      const text = await r.text();
      expect(text).not.toBe('');
      return { status: r.status, text };
    }, 60_000);
    expect(ready).toEqual({
      status: 503,
      text: 'escalation.ladder[1] ("tech lead rota"): on call now by schedule tech-lead-rota: Tech lead (tech-lead): PD_ROUTING_KEY_TECH_LEAD is not set',
    });

    const client = new Client({ connection });
    const handle = await startTestIncident(client, taskQueue, 'production-paging');
    const page = await eventually(async () => {
      const view = await handle.query(statusQuery);
      const first = view.paged.find((p) => p.level === 0);
      // Answered: the page's entry is in the timeline (the record exists from the moment it is sent).
      expect(view.timeline.some((e) => e.type === 'page')).toBe(true);
      return { first: first!, timeline: view.timeline.map((e) => e.message) };
    }, 60_000);
    expect(page.first.delivered).toBe(false);
    expect(page.timeline).toContainEqual(
      expect.stringMatching(
        /^page NOT delivered to primary on-call \(Primary on-call, Tech lead\): .* — Primary on-call: PagerDuty accepted; not paged: Tech lead \(tech-lead\): PD_ROUTING_KEY_TECH_LEAD is not set$/,
      ),
    );
    // The primary was paged; nothing was sent for the tech lead.
    expect(
      pd
        .events()
        .filter((e) => e.event_action === 'trigger')
        .map((e) => e.routing_key),
    ).toEqual([PRIMARY_KEY]);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain(
      'durable_runbooks_page_attempts_total{channel="pagerduty",result="delivered"} 1',
    );
    expect(metrics).toContain(
      'durable_runbooks_page_attempts_total{channel="pagerduty",result="unreachable"} 1',
    );
    expect(metrics).toContain('durable_runbooks_page_attempts_total{channel="pagerduty",result="logged"} 0');
    await handle.terminate('test over');

    // An override hands the rota to the secondary, who can be paged: ready again (overrides count).
    const overrides = client.workflow.getHandle(onCallOverridesWorkflowId('tech-lead-rota'));
    await overrides.terminate('an earlier test run').catch(() => undefined);
    const now = Date.now();
    const added = await runCli(
      [
        'oncall',
        'override',
        'tech-lead-rota',
        'secondary-oncall',
        '--from',
        new Date(now - 60_000).toISOString(),
        '--to',
        new Date(now + 3_600_000).toISOString(),
      ],
      {
        RUNBOOKS_CONFIG: configFile,
        TEMPORAL_ADDRESS: serviceValue('temporal'),
        TEMPORAL_TASK_QUEUE: taskQueue,
      },
    );
    expect([added.code, added.stderr]).toEqual([0, '']);
    await eventually(async () => {
      const r = await fetch(`${base}/readyz`);
      expect([r.status, await r.text()]).toEqual([200, 'running']);
    }, 30_000);
    await overrides.terminate('test over');
  }, 120_000);
});
