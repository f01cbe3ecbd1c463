/**
 * `durable-runbooks api` / `npm run api`: the process that holds the store (`DATABASE_URL`, else the embedded
 * PGlite under RUNBOOKS_DATA_DIR, default `.data`, which one process at a time may open). It serves the API
 * over it, sends people's commands to the incidents, and polls the incidents' system-of-record lane (engine
 * revisions 4 and 5; on 5, the writes of workers without the store), so that with the embedded store the
 * incidents are recorded where the API reads. Temporal unreachable, it serves the store and keeps trying.
 */
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { labelServices } from '../activities/metrics';
import { loadConfig } from '../config';
import { nameProcessLog, startupLogger } from '../config/logger';
import { PACKAGE_ROOT } from '../config/package-root';
import { clientConnectionOptions, temporalTarget } from '../config/temporal-client';
import { recordTaskQueue } from '../domain/task-queues';
import { startStatusReminders } from '../intake/api/status-reminders';
import { startApi, startStatusPage } from '../intake/api/main';
import { openStore, purgeClosedBefore, storeLocation, type SqlClient } from '../store';
import { createRecordWorker } from './record-worker';
import { quietRuntime, TASK_QUEUE } from './worker';

const log = nameProcessLog('api');
const RETRY_MS = 10_000;
/**
 * A command the incident has not answered by then is a 504: its workflow may be stuck. Longer than a worker's
 * sticky schedule-to-start timeout (10 s): after the worker that held the incident was killed, its next task
 * waits that long before another worker may take it (cluster.test: 10.1-10.2 s, three runs of three), and a
 * person's command should still be answered.
 */
const COMMAND_TIMEOUT_MS = 20_000;

/** Polls the record lane until stopped, connecting again (every 10 s) while Temporal is away. */
function startRecording(db: SqlClient, baseDir: string): { stop(): Promise<void> } {
  const temporal = temporalTarget();
  let stopped = false;
  let worker: Worker | undefined;
  let wake = () => undefined as void;
  const loop = (async () => {
    let said = false;
    while (!stopped) {
      try {
        const connection = await NativeConnection.connect(temporal.connection);
        worker = await createRecordWorker({ connection, db, baseDir, namespace: temporal.namespace });
        startupLogger(log).info(
          `recording incidents from ${recordTaskQueue(TASK_QUEUE)} on ${temporal.description}`,
        );
        said = false;
        if (!stopped) await worker.run();
        await connection.close();
      } catch (err) {
        if (!said) log.warn(`not recording incidents yet (${(err as Error).message}): retrying`);
        said = true;
        await new Promise<void>((r) => {
          const timer = setTimeout(r, RETRY_MS);
          wake = () => (clearTimeout(timer), r());
        });
      }
    }
  })();
  return {
    async stop() {
      stopped = true;
      wake();
      if (worker?.getState() === 'RUNNING') worker.shutdown();
      await loop;
    },
  };
}

/** With `store.retainFor` set, closed incidents past it are removed at start and every hour. */
function startRetention(db: SqlClient, retainFor: number | null): NodeJS.Timeout | undefined {
  if (retainFor === null) return undefined;
  const purge = () =>
    purgeClosedBefore(db, new Date(Date.now() - retainFor).toISOString())
      .then(
        (n) => n && log.info({ removed: n }, 'retention: closed incidents older than the retention removed'),
      )
      .catch((err: Error) => log.warn(`retention: ${err.message}`));
  void purge();
  return setInterval(purge, 3_600_000).unref();
}

async function main() {
  quietRuntime();
  const dataDir = process.env.RUNBOOKS_DATA_DIR || path.join(PACKAGE_ROOT, '.data');
  const config = loadConfig();
  // The embedded store's reviews are written here: their response times count under configured services.
  labelServices(Object.keys(config.services));
  const db = await openStore(storeLocation(process.env, dataDir));
  const temporal = temporalTarget();
  // Lazy: the API serves the store while Temporal is away; a command then answers 503.
  const connection = Connection.lazy(clientConnectionOptions(temporal));
  const client = new Client({ connection, namespace: temporal.namespace });
  const api = await startApi({
    db,
    config,
    logger: log,
    temporal: { client, timeoutMs: COMMAND_TIMEOUT_MS, taskQueue: TASK_QUEUE },
  });
  startupLogger(log).info(`serving ${api.url}/api/v1 (OpenAPI: ${api.url}/api/v1/openapi.json)`);
  const statusPage = await startStatusPage({ db, config, logger: log });
  startupLogger(log).info(`status page: ${statusPage?.url ?? api.url}/status`);
  const recording = startRecording(db, process.env.RUNBOOKS_DATA_DIR || PACKAGE_ROOT);
  const retention = startRetention(db, config.store.retainFor);
  const stopReminders = startStatusReminders({
    db,
    logger: log,
    temporal: { client, timeoutMs: COMMAND_TIMEOUT_MS, taskQueue: TASK_QUEUE },
  });
  const stop = async () => {
    clearInterval(retention);
    stopReminders();
    await api.close();
    await statusPage?.close();
    await recording.stop();
    await connection.close();
    await db.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((err: Error) => {
  log.fatal(err.message);
  process.exit(1);
});
