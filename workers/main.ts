import http from 'node:http';
import { NativeConnection } from '@temporalio/worker';
import { workerMetrics } from '../activities/metrics';
import { readOverrides } from '../activities/oncall';
import {
  ladderSchedules,
  productionMode,
  unpageableLevels,
  unpageableOnCall,
} from '../activities/reachability';
import { loadConfig, type RunbooksConfig } from '../config';
import type { StoredOverride } from '../domain/oncall';
import { nameProcessLog, startupLogger } from '../config/logger';
import { startTracing } from '../config/tracing';
import { temporalTarget } from '../config/temporal-client';
import { recordTaskQueue } from '../domain/task-queues';
import { openStore, storeLocation } from '../store';
import { registerSearchAttributes } from './search-attributes';
import { freePort } from './free-port';
import { Client } from '@temporalio/client';
import { createIncidentWorker, ensureHeartbeats, ensureWatchdog, quietRuntime, TASK_QUEUE } from './worker';

/**
 * Stand-alone worker: `npm run worker` (Temporal from the SDK's environment configuration: TEMPORAL_ADDRESS,
 * TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_* or a profile; RUNBOOKS_CONFIG; RUNBOOKS_DATA_DIR; WORKER_METRICS_PORT
 * serves its Prometheus metrics, /healthz and /readyz on 127.0.0.1, or WORKER_METRICS_HOST). With
 * NODE_ENV=production it refuses to start while a ladder level has nobody a page can reach
 * (`activities/reachability.ts`).
 */
const log = nameProcessLog('worker');

async function main() {
  const config = loadConfig();
  // In production a page to someone without a routing key reaches nobody: no ladder level may be all such.
  const unpageable = productionMode(process.env) ? unpageableLevels(config, process.env) : [];
  if (unpageable.length)
    throw new Error(
      `NODE_ENV=production: refusing to start with a level nobody can be paged on (set the routing keys, or leave production mode to have such pages logged):\n  ${unpageable.join('\n  ')}`,
    );
  const metricsPort = process.env.WORKER_METRICS_PORT;
  // The SDK's metrics on a loopback port of their own, passed on by this worker's /metrics.
  const coreMetrics = metricsPort ? `127.0.0.1:${await freePort()}` : undefined;
  quietRuntime(undefined, coreMetrics);
  const temporal = temporalTarget();
  const connection = await NativeConnection.connect(temporal.connection);
  // Idempotent; where it is refused (Temporal Cloud), the attributes are registered in Cloud's UI or tcld.
  await registerSearchAttributes(connection, temporal.namespace).catch((err: Error) =>
    log.warn(
      `search attributes not registered (${err.message}): register IncidentSeverity, IncidentService, IncidentScenario and IncidentStatus (Keyword) by hand`,
    ),
  );
  // A PostgreSQL store is shared: every worker records into it. The embedded one belongs to the process
  // of `durable-runbooks api` (which `npm start` runs), as one process at a time may open it.
  const store = process.env.DATABASE_URL?.trim()
    ? await openStore(storeLocation(process.env, process.env.RUNBOOKS_DATA_DIR || '.data'))
    : undefined;
  // RUNBOOKS_DATA_DIR: where relative journal and review paths go when the code's directory is read-only.
  const worker = await createIncidentWorker({
    connection,
    config,
    namespace: temporal.namespace,
    baseDir: process.env.RUNBOOKS_DATA_DIR || undefined,
    store,
  });
  const startup = startupLogger(log);
  startup.info(`worker polling task queue ${TASK_QUEUE} on ${temporal.description}`);
  startup.info(
    store
      ? `recording incidents in the store at DATABASE_URL (${recordTaskQueue(TASK_QUEUE)})`
      : 'the embedded store is recorded by the API process (durable-runbooks api; npm start runs it)',
  );
  startup.info(`workflows: ${worker.workflowsFrom}`);
  const client = new Client({ connection, namespace: temporal.namespace });
  // The pager's own pager: incidents stuck or terminated while open are paged about (see workflows/watchdog).
  await ensureWatchdog(client, config).catch((err: Error) =>
    log.warn(
      `stuck-incident watchdog not started (${err.message}): incidents that stop paging go unreported`,
    ),
  );
  // A heartbeat never heard from since start-up alarms too: each configured one runs from now.
  await ensureHeartbeats(client, config).catch((err: Error) =>
    log.warn(`heartbeats not started (${err.message}): each starts at its first beat`),
  );
  // MTTA / MTTR histograms for Prometheus, when asked for (the intake serves them under `npm start`), and
  // liveness / readiness for an orchestrator: ready while polling, not once a shutdown has begun.
  const metricsServer = metricsPort
    ? http
        .createServer((req, res) => {
          if (req.url === '/healthz') return void res.writeHead(200).end('ok');
          if (req.url === '/readyz') {
            const state = worker.getState();
            if (state !== 'RUNNING') return void res.writeHead(503).end(state.toLowerCase());
            if (!productionMode(process.env)) return void res.writeHead(200).end('running');
            // Not ready while a schedule has the pager with someone a page cannot reach, overrides included.
            return void unreachableOnCall(client, config).then((unreachable) =>
              unreachable.length
                ? res.writeHead(503).end(unreachable.join('\n'))
                : res.writeHead(200).end('running'),
            );
          }
          if (req.url !== '/metrics') return void res.writeHead(404).end();
          void Promise.all([workerMetrics.metrics(), coreMetricsText(coreMetrics)]).then(([ours, core]) =>
            res.writeHead(200, { 'content-type': workerMetrics.contentType }).end(`${ours}\n${core}`),
          );
        })
        .listen(Number(metricsPort), process.env.WORKER_METRICS_HOST ?? '127.0.0.1')
    : undefined;
  await worker.run();
  await startTracing('worker')?.shutdown(); // what is batched is sent before the process ends
  metricsServer?.close();
  await store?.close();
  await connection.close();
}

/**
 * The schedule levels whose on-call now cannot be paged, with the overrides Temporal holds (read within 2 s;
 * unread, they count as none and the line says so).
 */
async function unreachableOnCall(client: Client, config: RunbooksConfig): Promise<string[]> {
  const overrides: Record<string, StoredOverride[]> = {};
  const unread: string[] = [];
  for (const schedule of ladderSchedules(config))
    overrides[schedule] = await client
      .withDeadline(Date.now() + 2000, () => readOverrides(client, schedule))
      .catch((err: Error) => (unread.push(`overrides of ${schedule} not read (${err.message})`), []));
  const unreachable = unpageableOnCall(config, process.env, Date.now(), overrides);
  return unreachable.length ? [...unreachable, ...unread] : [];
}

/** The SDK's metrics as Core serves them; a line saying why when it does not answer. */
async function coreMetricsText(address: string | undefined): Promise<string> {
  if (!address) return '';
  try {
    const res = await fetch(`http://${address}/metrics`, { signal: AbortSignal.timeout(2000) });
    return await res.text();
  } catch (err) {
    return `# the SDK's metrics did not answer: ${(err as Error).message}\n`;
  }
}

main().catch((err) => {
  log.fatal(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
