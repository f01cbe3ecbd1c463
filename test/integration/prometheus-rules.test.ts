/**
 * The product's own alerting rules and dashboard (`deploy/prometheus`, `deploy/grafana`): promtool checks the
 * rules and runs their unit tests; then a real Prometheus scrapes a worker process (production mode, one
 * contact without a routing key) and an intake, evaluates the rules, and fires "pages failing" for the page
 * nobody could receive. The fleet gauges and the SDK's metrics arrive under our prefix, and every query of
 * the Grafana dashboard is valid PromQL that Prometheus answers.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { buildIntakeServer } from '../../intake/server';
import { freePort, killGroup } from '../../scripts/testbed/local-services';
import { testConfig, writeTestConfig } from '../../scripts/testbed/config';
import { eventually } from '../../scripts/testbed/eventually';
import { describeWith, serviceValue } from '../../scripts/testbed/services';
import { tempDir, uniqueTaskQueue } from '../../scripts/testbed/temporal';
import { startTestIncident } from '../support/dev-server';
import { FakePagerDuty } from '../support/fake-saas';
import { spawnWorkerProcess } from '../support/worker-process';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..', '..');
const RULES_DIR = path.join(ROOT, 'deploy', 'prometheus');
const DASHBOARD = path.join(ROOT, 'deploy', 'grafana', 'durable-runbooks.json');

interface PromAlert {
  labels: Record<string, string>;
  state: string;
}

describeWith(['temporal', 'prometheus'], "the product's alerting rules and dashboard", () => {
  const pd = new FakePagerDuty();
  const children: ChildProcess[] = [];
  let connection: Connection;
  let intake: FastifyInstance | undefined;

  beforeAll(async () => {
    await pd.start();
    connection = await Connection.connect({ address: serviceValue('temporal') });
  });
  afterAll(async () => {
    for (const c of children) await killGroup(c, 1000);
    await intake?.close();
    await connection?.close();
    await pd.stop();
  });

  test('promtool: the rules load, and their unit tests pass', async () => {
    const promtool = path.join(path.dirname(serviceValue('prometheus')), 'promtool');
    const check = await run(promtool, ['check', 'rules', 'durable-runbooks.rules.yml'], { cwd: RULES_DIR });
    expect(check.stdout).toContain('SUCCESS: 7 rules found');
    const unit = await run(promtool, ['test', 'rules', 'durable-runbooks.rules.test.yml'], {
      cwd: RULES_DIR,
    });
    expect(unit.stdout).toContain('SUCCESS');
  });

  test('a real Prometheus fires "pages failing" for a page nobody could receive, and answers the dashboard', async () => {
    const dir = tempDir('prometheus-rules-');
    const taskQueue = uniqueTaskQueue('prometheus-rules');
    const [workerPort, intakePort, promPort] = [await freePort(), await freePort(), await freePort()];
    const worker = spawnWorkerProcess(
      taskQueue,
      {
        NODE_ENV: 'production',
        RUNBOOKS_DATA_DIR: dir,
        WORKER_METRICS_PORT: String(workerPort),
        PD_ROUTING_KEY_PRIMARY: 'R0PROMETHEUSRULESKEY000000000001',
        PD_ROUTING_KEY_SECONDARY: 'R0PROMETHEUSRULESKEY000000000002',
        PD_ROUTING_KEY_TECH_LEAD: '',
        PD_ROUTING_KEY_MANAGER: 'R0PROMETHEUSRULESKEY000000000004',
        PD_ROUTING_KEY_SECURITY: 'R0PROMETHEUSRULESKEY000000000005',
        RUNBOOKS_CONFIG: writeTestConfig(dir, {
          pagerduty: { eventsUrl: pd.eventsUrl },
          escalation: { ladder: [{ name: 'primary on-call', contacts: ['primary-oncall', 'tech-lead'] }] },
        }),
      },
      path.join(dir, 'worker.log'),
    );
    children.push(worker);
    const client = new Client({ connection });
    intake = await buildIntakeServer({ client, config: testConfig(), taskQueue });
    await intake.listen({ host: '127.0.0.1', port: intakePort });

    writeFileSync(
      path.join(dir, 'prometheus.yml'),
      [
        'global: { scrape_interval: 1s, evaluation_interval: 1s }',
        `rule_files: ['${path.join(RULES_DIR, 'durable-runbooks.rules.yml')}']`,
        'scrape_configs:',
        `  - { job_name: worker, static_configs: [{ targets: ['127.0.0.1:${workerPort}'] }] }`,
        `  - { job_name: intake, static_configs: [{ targets: ['127.0.0.1:${intakePort}'] }] }`,
      ].join('\n'),
    );
    const prometheus = spawn(
      serviceValue('prometheus'),
      [
        `--config.file=${path.join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${path.join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
      ],
      { detached: true, stdio: 'ignore' },
    );
    children.push(prometheus);
    const api = async <T>(what: string): Promise<T> => {
      const body = (await (await fetch(`http://127.0.0.1:${promPort}/api/v1/${what}`)).json()) as {
        status: string;
        data: T;
        error?: string;
      };
      if (body.status !== 'success') throw new Error(`${what}: ${body.error}`);
      return body.data;
    };
    const value = async (query: string) => {
      const data = await api<{ result: Array<{ value: [number, string] }> }>(
        `query?query=${encodeURIComponent(query)}`,
      );
      return data.result.map((r) => Number(r.value[1]));
    };

    // Prometheus has the worker's counters at 0 before anything fails (they start at 0, so the first failure
    // is an increase), as it has for any worker that ran a while before a page failed.
    await eventually(async () => {
      expect(await value('durable_runbooks_page_attempts_total{job="worker",result="unreachable"}')).toEqual([
        0,
      ]);
    }, 60_000);
    // A P1 whose first level has a contact nobody can page.
    const handle = await startTestIncident(client, taskQueue, 'prometheus-rules');
    const firing = await eventually(
      async () => {
        const { alerts } = await api<{ alerts: PromAlert[] }>('alerts');
        const pages = alerts.find((a) => a.labels.alertname === 'DurableRunbooksPagesFailing');
        expect(pages?.state).toBe('firing');
        return {
          pages: pages!,
          all: alerts.map((a) => `${a.labels.alertname} ${a.state}`),
          firing: alerts.filter((a) => a.state === 'firing').map((a) => a.labels.alertname),
        };
      },
      90_000,
      1000,
    );
    console.log(`prometheus rules: alerts ${JSON.stringify(firing.all)}`);
    expect(firing.pages.labels).toMatchObject({ result: 'unreachable', severity: 'critical' });
    // Nothing else fires: a worker polls, the fleet is readable, the intake answered no 5xx. (A rule may be
    // pending for an evaluation: on a loaded machine the first scrape of the fleet can come before the
    // worker's first poll reached Temporal; "for" is there so that such a moment pages nobody.)
    expect(firing.firing).toEqual(['DurableRunbooksPagesFailing']);

    // The fleet as the intake sees it, and the SDK's metrics from the worker, under one prefix.
    await eventually(async () => {
      expect(await value('max(durable_runbooks_open_incidents{severity="P1",status="triggered"})')).toEqual([
        1,
      ]);
      expect((await value('max(durable_runbooks_task_queue_pollers{type="workflow"})'))[0]).toBeGreaterThan(
        0,
      );
      expect((await value('max(durable_runbooks_oldest_unacknowledged_p1_seconds)'))[0]).toBeGreaterThan(0);
      expect(await value('max(durable_runbooks_fleet_readable)')).toEqual([1]);
    }, 30_000);
    expect(
      (await value('sum(durable_runbooks_workflow_task_schedule_to_start_latency_count)'))[0],
    ).toBeGreaterThan(0);
    expect(await value('sum(durable_runbooks_page_attempts_total{result="delivered"})')).toEqual([1]);

    // Every query of the dashboard parses and runs; the ones over live series answer with data.
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
      panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
    };
    let answered = 0;
    for (const panel of dashboard.panels)
      for (const { expr } of panel.targets) {
        const result = await value(expr);
        if (result.length) answered++;
      }
    console.log(`prometheus rules: ${answered} dashboard queries answered with data`);
    expect(answered).toBeGreaterThanOrEqual(6);
    await handle.terminate('test over');
  }, 180_000);
});
