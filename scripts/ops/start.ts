/**
 * `npm start`: Temporal (an existing server at TEMPORAL_ADDRESS, else the CLI dev server with SQLite in
 * .data/), search attributes, then the worker, the intake and the API (which holds the store) as supervised
 * processes. One stuck or crashing incident can take its worker down, never the intake: alerts are still
 * accepted (202) while the worker restarts (1 s backoff, doubling to 30 s). Ctrl-C stops all of it.
 */
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { loadConfig } from '../../config';
import { clientConnectionOptions, temporalTarget } from '../../config/temporal-client';
import { DEFAULT_API_PORT } from '../../config/api-address';
import { DEFAULT_INTAKE_PORT } from '../../intake/main';
import { TASK_QUEUE } from '../../workers/worker';
import { httpOk, loggedLine } from './cluster-setup';
import { ensureTemporal } from '../testbed/local-services';
import { Supervisor } from './supervisor';
import { REPO_ROOT, registerSearchAttributes } from './temporal-server';

async function main() {
  loadConfig(); // fail fast, naming the bad key, before anything starts
  const temporal = temporalTarget();
  const { namespace } = temporal;
  // RUNBOOKS_DATA_DIR moves this run's state (logs, pids, the dev server's database) out of the checkout.
  const dataDir = process.env.RUNBOOKS_DATA_DIR
    ? path.resolve(process.env.RUNBOOKS_DATA_DIR)
    : path.join(REPO_ROOT, '.data');
  const say = (line: string) => console.log(`[start] ${line}`);
  const { uiUrl, devServer, address } = await ensureTemporal(
    temporal.connection.address,
    dataDir,
    say,
    clientConnectionOptions(temporal),
  );

  const admin = await Connection.connect(clientConnectionOptions(temporal));
  await registerSearchAttributes(admin, namespace);
  await admin.close();

  const logDir = path.join(dataDir, 'logs');
  const supervisor = new Supervisor(logDir, say, path.join(dataDir, 'pids.json'));
  let stopping = false;
  const stop = async (why: string) => {
    if (stopping) return;
    stopping = true;
    say(`${why}: stopping API, intake, worker and Temporal...`);
    await supervisor.stop();
    await devServer?.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  const env = { ...process.env, TEMPORAL_ADDRESS: address, TEMPORAL_NAMESPACE: namespace };
  const tsx = (script: string) => ['-r', 'tsx/cjs', path.join(REPO_ROOT, script)];
  const port = process.env.INTAKE_PORT ? Number(process.env.INTAKE_PORT) : DEFAULT_INTAKE_PORT;
  const apiPort = process.env.API_PORT ? Number(process.env.API_PORT) : DEFAULT_API_PORT;
  try {
    await supervisor.start({
      name: 'worker',
      command: process.execPath,
      args: tsx('workers/main.ts'),
      // Its MTTA/MTTR histograms live in its own process now: served on their own port.
      env: { WORKER_METRICS_PORT: '9464', ...env },
      ready: loggedLine(path.join(logDir, 'worker.log'), /worker polling task queue/),
      readyTimeoutMs: 120_000,
      stopGraceMs: 30_000, // the worker finishes its running activities on SIGTERM
    });
    await supervisor.start({
      name: 'intake',
      command: process.execPath,
      args: tsx('intake/main.ts'),
      env: { ...env, INTAKE_PORT: String(port) },
      ready: () => httpOk(`http://127.0.0.1:${port}/healthz`),
      readyTimeoutMs: 60_000,
    });
    // The store's holder: the API, and the incidents' writes to the record (the embedded store is its alone).
    await supervisor.start({
      name: 'api',
      command: process.execPath,
      args: tsx('workers/api-main.ts'),
      env: { ...env, API_PORT: String(apiPort) },
      ready: () => httpOk(`http://127.0.0.1:${apiPort}/healthz`),
      readyTimeoutMs: 60_000,
    });
  } catch (err) {
    console.error(`[start] ${(err as Error).message}`);
    await stop('start-up failed');
  }

  const url = `http://${process.env.INTAKE_HOST ?? '127.0.0.1'}:${port}`;
  const auth = process.env.INTAKE_TOKEN ? ` -H "Authorization: Bearer $INTAKE_TOKEN"` : '';
  console.log(
    [
      '',
      'Durable Runbooks is running.',
      `  Temporal gRPC : ${temporal.description}`,
      `  Temporal UI   : ${uiUrl}/namespaces/${namespace}/workflows`,
      `  Alert intake  : ${url} (task queue ${TASK_QUEUE})`,
      `  Console       : http://127.0.0.1:${apiPort}/ (incidents live, on-call, reports)`,
      `  API           : http://127.0.0.1:${apiPort}/api/v1 (the incidents' record)`,
      `  Logs          : ${path.relative(process.cwd(), logDir) || '.'}/worker.log, intake.log, api.log`,
      `  Metrics       : ${url}/metrics (intake), http://127.0.0.1:${process.env.WORKER_METRICS_PORT ?? 9464}/metrics (worker)`,
      '',
      'Fire a test alert:',
      `  curl -sS -X POST ${url}/alerts -H 'content-type: application/json'${auth} \\`,
      `    -d '{"service":"checkout","summary":"checkout health check failing","severity":"P1","dedupKey":"demo-1"}'`,
      '',
      'Press Ctrl-C to stop.',
    ].join('\n'),
  );
}

main().catch((err) => {
  console.error(`[start] ${err instanceof Error ? err.message : err}`);
  process.exit(1);
});
