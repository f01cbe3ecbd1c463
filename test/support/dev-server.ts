import { Client, Connection, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { IncidentWorker } from '../../workers/worker';
import type { RunbooksConfig } from '../../config';
import type { IncidentInput } from '../../domain/types';
import { incidentWorkflow } from '../../workflows/incident';
import { missingReason, serviceValue } from '../../scripts/testbed/services';
import type { SqlClient } from '../../store';
import { freshStore } from './fresh-postgres';
import { createTestWorker, quietRuntime, tempDir, uniqueTaskQueue } from '../../scripts/testbed/temporal';

export interface DevWorker {
  client: Client;
  taskQueue: string;
  baseDir: string;
  /** The store its incidents are recorded in (none without the test PostgreSQL). */
  store: SqlClient | undefined;
  /** Stops polling (as if the worker process died) and starts again. */
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A worker on the real dev server with its own task queue, plus a client. It holds a store of its own (a
 * fresh database on the test PostgreSQL), as every shipped topology's workers or API do: incidents record
 * themselves there (engine revision 5). Without a test PostgreSQL it runs without one: its incidents'
 * writes then wait on a lane nobody polls, and each review waits a minute for it.
 */
export async function startDevWorker(
  config: RunbooksConfig,
  env: Record<string, string | undefined> = {},
): Promise<DevWorker> {
  quietRuntime();
  const address = serviceValue('temporal');
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  const nativeConnection = await NativeConnection.connect({ address });
  const taskQueue = uniqueTaskQueue('dev');
  const baseDir = tempDir();
  const store: SqlClient | undefined = missingReason('postgres') ? undefined : await freshStore('dev');
  let worker: IncidentWorker | undefined;
  let running: Promise<void> | undefined;
  const start = async () => {
    worker = await createTestWorker({ connection: nativeConnection, config, taskQueue, baseDir, env, store });
    running = worker.run();
  };
  const stop = async () => {
    worker?.shutdown();
    await running;
    worker = undefined;
  };
  await start();
  return {
    client,
    taskQueue,
    baseDir,
    store,
    start,
    stop,
    async close() {
      await stop();
      await nativeConnection.close();
      await connection.close();
      await store?.close();
    },
  };
}

/**
 * Opens a test incident (`checkout`, health, P1 unless `input` says otherwise) under the workflow id
 * `<name>-<now>`, which is also its dedup key.
 */
export function startTestIncident(
  client: Client,
  taskQueue: string,
  name: string,
  input: Partial<IncidentInput> = {},
): Promise<WorkflowHandleWithFirstExecutionRunId<typeof incidentWorkflow>> {
  const workflowId = `${name}-${Date.now()}`;
  return client.workflow.start(incidentWorkflow, {
    taskQueue,
    workflowId,
    args: [
      {
        dedupKey: workflowId,
        service: 'checkout',
        scenario: 'health',
        severity: 'P1',
        summary: `${name} test incident`,
        security: false,
        ...input,
      },
    ],
  });
}
