/**
 * `npm start`: Temporal (an existing server at TEMPORAL_ADDRESS, else the CLI dev server with SQLite in
 * .data/), search attributes, the worker and the intake, in one terminal. Ctrl-C stops all of it.
 */
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../config';
import { clientConnectionOptions, temporalTarget } from '../config/temporal-client';
import { startIntake, DEFAULT_INTAKE_PORT } from '../intake/main';
import { createIncidentWorker, quietRuntime, TASK_QUEUE } from '../workers/worker';
import { ensureTemporal } from './local-services';
import { REPO_ROOT, registerSearchAttributes } from './temporal-server';

async function main() {
  const config = loadConfig(); // fail fast, naming the bad key
  quietRuntime();
  const temporal = temporalTarget();
  const { address } = temporal.connection;
  const { namespace } = temporal;
  const { uiUrl, devServer } = await ensureTemporal(
    address,
    path.join(REPO_ROOT, '.data'),
    (line) => console.log(`[start] ${line}`),
    clientConnectionOptions(temporal),
  );

  const admin = await Connection.connect(clientConnectionOptions(temporal));
  await registerSearchAttributes(admin, namespace);
  await admin.close();

  const nativeConnection = await NativeConnection.connect(temporal.connection);
  const worker = await createIncidentWorker({ connection: nativeConnection, config, namespace });
  const running = worker.run();
  const port = process.env.INTAKE_PORT ? Number(process.env.INTAKE_PORT) : DEFAULT_INTAKE_PORT;
  const intake = await startIntake({
    temporal,
    host: process.env.INTAKE_HOST,
    port,
    token: process.env.INTAKE_TOKEN,
  });

  const auth = process.env.INTAKE_TOKEN ? ` -H "Authorization: Bearer $INTAKE_TOKEN"` : '';
  console.log(
    [
      '',
      'Durable Runbooks is running.',
      `  Temporal gRPC : ${temporal.description}`,
      `  Temporal UI   : ${uiUrl}/namespaces/${namespace}/workflows`,
      `  Alert intake  : ${intake.url} (task queue ${TASK_QUEUE})`,
      '',
      'Fire a test alert:',
      `  curl -sS -X POST ${intake.url}/alerts -H 'content-type: application/json'${auth} \\`,
      `    -d '{"service":"checkout","summary":"checkout health check failing","severity":"P1","dedupKey":"demo-1"}'`,
      '',
      'Press Ctrl-C to stop.',
    ].join('\n'),
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n[start] ${signal}: stopping intake, worker and Temporal...`);
    await intake.close().catch(() => undefined);
    try {
      worker.shutdown(); // the SDK may already be draining: it reacts to SIGINT/SIGTERM itself
    } catch {
      /* already stopping */
    }
    await running.catch(() => undefined);
    await nativeConnection.close().catch(() => undefined);
    await devServer?.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  await running.catch(async (err) => {
    console.error(`[start] worker stopped: ${(err as Error).message}`);
    await stop('worker failure');
  });
}

main().catch((err) => {
  console.error(`[start] ${err instanceof Error ? err.message : err}`);
  process.exit(1);
});
