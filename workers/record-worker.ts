/**
 * The poller of the incidents' system-of-record lane (engine revisions 4 and 5): only the store's activities, on
 * `<task queue>-record`. It runs where the store is held: beside every worker when the store is a PostgreSQL
 * (`DATABASE_URL`), in the API's process when it is the embedded PGlite (one process may open it).
 */
import { Worker, type NativeConnection } from '@temporalio/worker';
import { createRecordActivities } from '../activities/record';
import { TASK_QUEUE } from '../config/task-queue';
import { recordTaskQueue } from '../domain/task-queues';
import type { SqlClient } from '../store';

export interface RecordWorkerOptions {
  connection: NativeConnection;
  db: SqlClient;
  /** Where reviews' files go (relative review directories resolve against it). */
  baseDir: string;
  namespace?: string;
  taskQueue?: string;
  /** As the incident worker beside it was given (two pollers of one queue in one process need two). */
  buildId?: string;
}

export function createRecordWorker(opts: RecordWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace ?? 'default',
    taskQueue: recordTaskQueue(opts.taskQueue ?? TASK_QUEUE),
    activities: createRecordActivities(opts.db, opts.baseDir),
    shutdownGraceTime: '10s',
    ...deploymentVersion(opts.buildId),
  });
}

/** A worker's build id (unversioned: it only names the worker), or nothing. */
export function deploymentVersion(buildId: string | undefined) {
  return buildId
    ? {
        workerDeploymentOptions: {
          version: { deploymentName: 'durable-runbooks', buildId },
          useWorkerVersioning: false as const,
        },
      }
    : {};
}
