import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  startDockerd,
  startPostgres,
  startTemporalDevServer,
  type RunningService,
} from '../../scripts/testbed/local-services';
import { findTestServer, TOOLS_BIN } from '../../scripts/ops/temporal-server';
import { controlPlaneBuilt } from '../../scripts/testbed/kubernetes-control-plane';

const STATE = path.resolve(__dirname, '..', '..', '.data', 'test');

function has(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Starts the dev server, dockerd and PostgreSQL in parallel and advertises them through env vars. */
export default async function globalSetup(): Promise<void> {
  const running: RunningService[] = [];
  (globalThis as { __runbooksServices?: RunningService[] }).__runbooksServices = running;
  const missing = (name: string, why: string) => {
    process.env[`RUNBOOKS_TEST_MISSING_${name.toUpperCase()}`] = why;
  };
  const testServer = findTestServer();
  if (testServer) process.env.RUNBOOKS_TEST_SERVER_PATH = testServer;
  else missing('testServer', 'time-skipping test server not provisioned');
  if (existsSync('/usr/bin/chromium')) process.env.RUNBOOKS_TEST_CHROMIUM = '/usr/bin/chromium';
  else missing('chromium', 'apt-get install chromium');
  if (has('prometheus-alertmanager')) process.env.RUNBOOKS_TEST_ALERTMANAGER = 'prometheus-alertmanager';
  else missing('alertmanager', 'apt-get install prometheus-alertmanager');
  if (has('prometheus')) process.env.RUNBOOKS_TEST_PROMETHEUS = 'prometheus';
  else missing('prometheus', 'apt-get install prometheus');
  if (has('haproxy')) process.env.RUNBOOKS_TEST_HAPROXY = 'haproxy';
  else missing('haproxy', 'apt-get install haproxy');
  if (has('docker-compose')) process.env.RUNBOOKS_TEST_COMPOSE = 'docker-compose';
  else missing('compose', 'apt-get install docker-compose');
  if (has('docker-registry')) process.env.RUNBOOKS_TEST_REGISTRY = 'docker-registry';
  else missing('registry', 'apt-get install docker-registry');
  const clusterBinaries = ['temporal-server', 'temporal-sql-tool', 'temporal-ui-server'];
  if (clusterBinaries.every((b) => existsSync(path.join(TOOLS_BIN, b))))
    process.env.RUNBOOKS_TEST_CLUSTER = TOOLS_BIN;
  else missing('cluster', 'scripts/ops/provision.sh cluster builds the Temporal server and UI server');
  if (controlPlaneBuilt(TOOLS_BIN)) process.env.RUNBOOKS_TEST_KUBERNETES = TOOLS_BIN;
  else missing('kubernetes', 'scripts/ops/provision.sh kubernetes builds the Kubernetes control plane');
  if (existsSync(path.join(TOOLS_BIN, 'otelcol')))
    process.env.RUNBOOKS_TEST_OTELCOL = path.join(TOOLS_BIN, 'otelcol');
  else missing('otelcol', 'scripts/ops/provision.sh otelcol builds the OpenTelemetry Collector');

  const started = Date.now();
  const [temporal, docker, postgres] = await Promise.allSettled([
    startTemporalDevServer(path.join(STATE, 'temporal')),
    has('dockerd')
      ? startDockerd(path.join(STATE, 'docker'))
      : Promise.reject(new Error('apt-get install docker.io')),
    // Under the system temp dir: the `postgres` user must traverse every parent, which a checkout under
    // /root would not allow.
    startPostgres(mkdtempSync(path.join(os.tmpdir(), 'runbooks-pg-'))),
  ]);
  if (temporal.status === 'fulfilled') {
    running.push(temporal.value);
    process.env.RUNBOOKS_TEST_TEMPORAL_ADDRESS = temporal.value.address;
    process.env.RUNBOOKS_TEST_TEMPORAL_UI = temporal.value.uiUrl;
  } else missing('temporal', temporal.reason.message);
  if (docker.status === 'fulfilled') {
    running.push(docker.value);
    process.env.RUNBOOKS_TEST_DOCKER_SOCKET = docker.value.socket;
  } else missing('docker', docker.reason.message);
  if (postgres.status === 'fulfilled') {
    running.push(postgres.value);
    process.env.RUNBOOKS_TEST_POSTGRES_URL = postgres.value.url;
    process.env.RUNBOOKS_TEST_POSTGRES_PORT = String(postgres.value.port);
  } else missing('postgres', postgres.reason.message);
  console.log(
    `\n[test services] up in ${Date.now() - started} ms: ${running.map((s) => s.name).join(', ') || 'none'}`,
  );
}
