import path from 'node:path';
import { DefaultLogger, NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import { createIncidentActivities } from '../activities';
import type { Env } from '../activities/secrets';
import type { RunbooksConfig } from '../config';
import { TASK_QUEUE } from '../intake/open-incident';

export { TASK_QUEUE };
export const REPO_ROOT = path.resolve(__dirname, '..');
export const WORKFLOWS_PATH = path.resolve(REPO_ROOT, 'workflows');

let runtimeInstalled = false;
/**
 * Keeps the SDK's own logs to warnings: at info it prints webpack's module list and every worker state
 * change, which buries the addresses and the curl a new user needs. LOG_LEVEL=INFO brings them back.
 */
export function quietRuntime(level = process.env.LOG_LEVEL ?? 'WARN'): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger(level.toUpperCase() as 'WARN') });
  } catch {
    /* already installed in this process */
  }
}

export interface IncidentWorkerOptions {
  connection: NativeConnection;
  config: RunbooksConfig;
  namespace?: string;
  taskQueue?: string;
  baseDir?: string;
  env?: Env;
  log?: (line: string) => void;
  docker?: import('dockerode');
  /** Pre-built bundle (tests share one); otherwise the workflows are bundled at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  overrides?: Partial<WorkerOptions>;
}

export async function createIncidentWorker(opts: IncidentWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace ?? 'default',
    taskQueue: opts.taskQueue ?? TASK_QUEUE,
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    // On SIGTERM, running activities get this long to finish (a page in flight is sent, not dropped and
    // resent by the next worker); after it they are cancelled and Temporal retries them elsewhere.
    shutdownGraceTime: '20s',
    activities: createIncidentActivities({
      config: opts.config,
      baseDir: opts.baseDir ?? REPO_ROOT,
      env: opts.env,
      log: opts.log,
    }),
    ...opts.overrides,
  });
}
