import { spawn, type ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';
import path from 'node:path';
import { serviceValue } from '../../scripts/testbed/services';

const ROOT = path.resolve(__dirname, '..', '..');

/**
 * `npm run worker` as its own process group on the test dev server, as an operator runs it: a test can
 * kill it (SIGKILL) or stop it (SIGTERM) like a deploy or a crash would.
 */
export function spawnWorkerProcess(
  taskQueue: string,
  env: Record<string, string>,
  logFile?: string,
): ChildProcess {
  // With a log file: what the worker printed, for a test to show when it fails.
  const out = logFile ? openSync(logFile, 'a') : 'ignore';
  return spawn(process.execPath, ['-r', 'tsx/cjs', path.join(ROOT, 'workers', 'main.ts')], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', out, out],
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: serviceValue('temporal'),
      TEMPORAL_TASK_QUEUE: taskQueue,
      ...env,
    },
  });
}
