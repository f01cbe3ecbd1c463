import { mkdtempSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { ConnectionOptions } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { NativeConnection, WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { RunbooksConfig } from '../../config';
import type { SqlClient } from '../../store';
import {
  bundleWorkflows,
  createIncidentWorker,
  quietRuntime,
  type IncidentWorker,
} from '../../workers/worker';
import { serviceValue } from './services';

export { quietRuntime };

// The Java test server answers the client's default 30 s keepalive pings with GOAWAY ("too many pings"),
// which can drop a pending time-skipping sleep; a long keepalive avoids it.
const relaxedKeepalive = {
  name: 'relaxed-keepalive',
  configureConnection(options: ConnectionOptions): ConnectionOptions {
    return {
      ...options,
      channelArgs: {
        ...options.channelArgs,
        'grpc.keepalive_time_ms': 360_000,
        'grpc.keepalive_permit_without_calls': 0,
      },
    };
  },
};

export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: serviceValue('testServer') } },
    plugins: [relaxedKeepalive],
  });
  const { registerSearchAttributes } = await import('../ops/temporal-server');
  await registerSearchAttributes(env.connection, env.namespace ?? 'default');
  return env;
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
/** One workflow bundle per test file, shared by its workers. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflows();
  return bundle;
}

/**
 * The workflow code of the last landed release (`npm run record-release`), to poll beside the current code
 * as old and new workers do during a rolling deploy or a rollback.
 */
export function previousReleaseBundle(): { code: string; commit: string } {
  const dir = path.resolve(__dirname, '..', '..', 'test', 'releases');
  const { commit } = JSON.parse(readFileSync(path.join(dir, 'previous.json'), 'utf8')) as { commit: string };
  return { code: gunzipSync(readFileSync(path.join(dir, 'previous.js.gz'))).toString('utf8'), commit };
}

export function uniqueTaskQueue(prefix = 'test'): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export function tempDir(prefix = 'runbooks-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

export async function createTestWorker(opts: {
  connection: NativeConnection;
  namespace?: string;
  config: RunbooksConfig;
  taskQueue: string;
  baseDir: string;
  env?: Record<string, string | undefined>;
  /** The store, when the worker holds one (it then records its incidents where they run, and polls the lane). */
  store?: SqlClient;
}): Promise<IncidentWorker> {
  return createIncidentWorker({
    store: opts.store,
    connection: opts.connection,
    namespace: opts.namespace,
    config: opts.config,
    taskQueue: opts.taskQueue,
    baseDir: opts.baseDir,
    env: opts.env ?? {},
    workflowBundle: await workflowBundle(),
  });
}
