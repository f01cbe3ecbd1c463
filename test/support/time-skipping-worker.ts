/**
 * A worker of the real incident code on the time-skipping server, holding a fresh PostgreSQL store: the
 * store's lane is polled only where a worker holds it, and without it the server's time would stand still
 * while a write waited. Registers its own beforeAll and afterAll; the returned object is filled in beforeAll.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { RunbooksConfig } from '../../config';
import type { SqlClient } from '../../store';
import type { IncidentWorker } from '../../workers/worker';
import {
  createTestWorker,
  createTimeSkippingEnv,
  tempDir,
  uniqueTaskQueue,
} from '../../scripts/testbed/temporal';
import { freshStore } from './fresh-postgres';

export interface TimeSkippingWorker {
  env: TestWorkflowEnvironment;
  store: SqlClient;
  taskQueue: string;
}

export function useTimeSkippingWorker(prefix: string, config: () => RunbooksConfig): TimeSkippingWorker {
  const ctx = { taskQueue: uniqueTaskQueue(prefix) } as TimeSkippingWorker;
  let worker: IncidentWorker | undefined;
  let running: Promise<void> | undefined;
  beforeAll(async () => {
    ctx.env = await createTimeSkippingEnv();
    ctx.store = await freshStore(prefix);
    worker = await createTestWorker({
      connection: ctx.env.nativeConnection,
      config: config(),
      taskQueue: ctx.taskQueue,
      baseDir: tempDir(),
      store: ctx.store,
    });
    running = worker.run();
  });
  afterAll(async () => {
    worker?.shutdown();
    await running;
    await ctx.env?.teardown();
    await ctx.store?.close();
  });
  return ctx;
}
