import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../config';
import { createIncidentWorker, quietRuntime, TASK_QUEUE } from './worker';

/** Stand-alone worker: `npm run worker` (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, RUNBOOKS_CONFIG). */
async function main() {
  const config = loadConfig();
  quietRuntime();
  const address = process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
  const connection = await NativeConnection.connect({ address });
  const worker = await createIncidentWorker({
    connection,
    config,
    namespace: process.env.TEMPORAL_NAMESPACE,
  });
  console.log(`worker polling task queue ${TASK_QUEUE} on ${address}`);
  await worker.run();
  await connection.close();
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
