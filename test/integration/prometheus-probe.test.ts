import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import type { WorkflowHandle } from '@temporalio/client';
import {
  deployInsightsStack,
  injectFault,
  removeInsightsStack,
  type InsightsStack,
} from '../../scripts/testbed/insights-stack';
import { anomalyQueries } from '../../activities/prometheus';
import { freePort } from '../../scripts/testbed/local-services';
import { incidentWorkflow } from '../../workflows/incident';
import { statusQuery } from '../../domain/messages';
import type { IncidentStatusView } from '../../domain/types';
import { testConfig } from '../../scripts/testbed/config';
import { startDevWorker, type DevWorker } from '../support/dev-server';
import { eventually } from '../../scripts/testbed/eventually';
import { describeWith, serviceValue } from '../../scripts/testbed/services';
import { tempDir } from '../../scripts/testbed/temporal';

const ERRORS = 'sum(rate(http_requests_total{route="insights",status=~"5.."}[5s])) or vector(0)';

/** A user's definition: 5xx against a baseline from Prometheus, with PostgreSQL and health probes. */
const ERROR_SPIKE = {
  scenario: 'error-spike',
  description: 'The service answers 5xx more than usual.',
  alertnames: ['HighErrorRate'],
  probes: {
    errors: { kind: 'prometheus', query: ERRORS, recent: '10s', baseline: '2m', factor: 3 },
    health: { kind: 'health' },
    database: { kind: 'database' },
    connections: { kind: 'connections' },
  },
  rules: [
    {
      when: {
        all: [
          { fact: 'errors.anomalous', eq: true },
          { fact: 'connections.exhausted', eq: true },
        ],
      },
      cause: 'errors-from-a-full-pool',
    },
    { when: { fact: 'errors.anomalous', eq: true }, cause: 'errors' },
    { cause: 'quiet' },
  ],
  causes: {
    'errors-from-a-full-pool': {
      summary:
        '5xx at {{errors.value}}/s (baseline {{errors.baseline}}/s); {{connections.total}} connections, pool {{connections.poolSize}}',
    },
    errors: { summary: '5xx at {{errors.value}}/s' },
    quiet: { summary: 'no anomaly' },
  },
};

describeWith(
  ['temporal', 'docker', 'prometheus'],
  'a prometheus probe against a real Prometheus scraping the app',
  () => {
    let docker: Docker;
    let dev: DevWorker;
    let stack: InsightsStack;
    let prometheus: ChildProcess | undefined;
    let prometheusUrl: string;
    let traffic: NodeJS.Timeout | undefined;
    const handles: WorkflowHandle[] = [];
    const env: Record<string, string | undefined> = {};

    beforeAll(async () => {
      docker = new Docker({ socketPath: serviceValue('docker') });
      env.DOCKER_SOCKET = serviceValue('docker');
      stack = await deployInsightsStack(docker, { prefix: 'rbp', poolSize: 4 });
      env.DB_URL_PROM = stack.databaseUrl;
      const dir = tempDir('prometheus-');
      const port = await freePort();
      prometheusUrl = `http://127.0.0.1:${port}`;
      writeFileSync(
        path.join(dir, 'prometheus.yml'),
        [
          'global: { scrape_interval: 1s, evaluation_interval: 1s }',
          'scrape_configs:',
          '  - job_name: insights-app',
          `    static_configs: [{ targets: ["127.0.0.1:${stack.appPort}"] }]`,
          '',
        ].join('\n'),
      );
      prometheus = spawn(
        serviceValue('prometheus'),
        [
          `--config.file=${path.join(dir, 'prometheus.yml')}`,
          `--storage.tsdb.path=${path.join(dir, 'data')}`,
          `--web.listen-address=127.0.0.1:${port}`,
        ],
        { stdio: 'ignore' },
      );
      await eventually(
        async () => expect((await fetch(`${prometheusUrl}/-/ready`)).status).toBe(200),
        30_000,
        200,
      );
      const config = testConfig({
        services: {
          'insights-prom': {
            container: stack.app,
            databaseContainer: stack.db,
            databaseUrlEnv: 'DB_URL_PROM',
            healthUrls: stack.healthUrls,
          },
        } as never,
        prometheus: { url: prometheusUrl },
        dashboardUrl: 'https://grafana.internal/d/services?var-service={service}',
        runbookDefinitions: [ERROR_SPIKE] as never,
      });
      dev = await startDevWorker(config, env);
    }, 180_000);

    afterAll(async () => {
      if (traffic) clearInterval(traffic);
      for (const h of handles) await h.terminate('suite finished').catch(() => undefined);
      await dev?.close();
      prometheus?.kill('SIGTERM');
      if (stack) await removeInsightsStack(docker, stack);
    });

    const text = (v: IncidentStatusView) => v.timeline.map((e) => `${e.type}: ${e.message}`).join('\n');
    const instant = async (query: string) => {
      const res = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(query)}`);
      const body = (await res.json()) as { data: { result: { value: [number, string] }[] } };
      return Number(body.data.result[0]?.value[1] ?? 'NaN');
    };

    test('errors against the baseline, the pool in pg_stat_activity, a 200 that says degraded: all in the diagnosis; the dashboard is linked', async () => {
      // Requests the app answers, then errors once its pool is held and it reports itself degraded.
      traffic = setInterval(
        () => void fetch(`http://127.0.0.1:${stack.appPort}/api/insights`).catch(() => undefined),
        50,
      );
      await eventually(
        async () => expect(await instant('sum(http_requests_total{route="insights"})')).toBeGreaterThan(5),
        30_000,
        250,
      );
      await injectFault(stack, 'pool-hold');
      await injectFault(stack, 'degraded');
      // Wait on Prometheus itself, not the clock: the very query the probe asks (the average over its recent
      // window) already sees the errors.
      const probeQuery = anomalyQueries(ERRORS, 10_000, 120_000).value;
      await eventually(async () => expect(await instant(probeQuery)).toBeGreaterThan(0), 60_000, 250);

      const handle = await dev.client.workflow.start(incidentWorkflow, {
        taskQueue: dev.taskQueue,
        workflowId: `rbp-${Date.now()}`,
        args: [
          {
            dedupKey: `rbp-${Date.now()}`,
            service: 'insights-prom',
            scenario: 'error-spike',
            severity: 'P2',
            summary: 'insights errors',
            security: false,
          },
        ],
      });
      handles.push(handle);
      const view = await eventually(
        async () => {
          const v = await handle.query(statusQuery);
          expect(text(v)).toMatch(/runbook error-spike finished/);
          return v;
        },
        90_000,
        250,
      );
      const log = text(view);
      expect(log).toMatch(
        /finding: metric `sum\(rate\(http_requests_total\{route="insights",status=~"5\.\."\}\[5s\]\)\) or vector\(0\)`: [\d.]+ over the last 10s vs 0 in the 120s before — anomalous/,
      );
      expect(log).toMatch(/finding: database: database connection OK \(PostgreSQL 15/);
      expect(log).toMatch(
        /finding: pg_stat_activity: .* \(total \d+ of max_connections 60\); rbp-app DB_POOL_SIZE=4/,
      );
      expect(log).toMatch(/finding: health: failing\n\s+> http:\/\/127\.0\.0\.1:\d+\/health → 200 degraded/);
      expect(log).toMatch(
        /diagnosis \(rule 1\): errors-from-a-full-pool — 5xx at [\d.]+\/s \(baseline 0\/s\); \d+ connections, pool 4/,
      );
      expect(log).toMatch(/runbook error-spike finished: nothing-to-do/);

      const journal = readFileSync(path.join(dev.baseDir, testConfig().journal.file), 'utf8');
      expect(journal).toContain(
        '*Dashboard*: <https://grafana.internal/d/services?var-service=insights-prom|insights-prom dashboard>',
      );
    });
  },
);
