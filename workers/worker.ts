import { existsSync } from 'node:fs';
import path from 'node:path';
import {
  bundleWorkflowCode,
  makeTelemetryFilterString,
  NativeConnection,
  Runtime,
  Worker,
  type WorkerOptions,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { createIncidentActivities } from '../activities';
import { createRecordHereActivities } from '../activities/record';
import type { Env } from '../activities/secrets';
import type { RunbooksConfig } from '../config';
import { logLevel, processLogger, SdkLogBridge } from '../config/logger';
import { PACKAGE_ROOT, RUNS_COMPILED } from '../config/package-root';
import { TASK_QUEUE } from '../config/task-queue';
import { chatTaskQueue, runbookTaskQueue } from '../domain/task-queues';
import type { SqlClient } from '../store';
import { createRecordWorker, deploymentVersion } from './record-worker';
import { tracingWorkerOptions, workflowInterceptorModules } from './tracing';
import { startTracing } from '../config/tracing';
import { incidentWatchdogWorkflow, WATCHDOG_WORKFLOW_ID } from '../workflows/watchdog';
import type { Client } from '@temporalio/client';
import { heartbeatWorkflow } from '../workflows/heartbeat/heartbeat';
import { heartbeatWorkflowId } from '../domain/messages';
import { heartbeatSettings } from '../intake/heartbeats';

export { TASK_QUEUE };
export const REPO_ROOT = PACKAGE_ROOT;
// Beside this file: the TypeScript sources, or their compiled JavaScript in dist/.
export const WORKFLOWS_PATH = path.resolve(__dirname, '..', 'workflows');
/** The workflows bundled at build time (`npm run build`, the image): loaded instead of bundling at start. */
export const PREBUILT_BUNDLE = path.join(PACKAGE_ROOT, 'dist', 'workflow-bundle.js');

/** The SDK's logs on the process's, without the warning the Slack lane's activity-only worker gets each start. */
function sdkLogger(level = logLevel(process.env.LOG_LEVEL, 'warn')): SdkLogBridge {
  return new SdkLogBridge(processLogger(), level, ['No workflows registered']);
}

/**
 * The bundle compiled code loads: the one built with it, when it exists. Code run from its sources never
 * takes it, so a stale dist/ cannot put old workflow code on a developer's worker.
 */
export function prebuiltBundle(): { codePath: string } | undefined {
  return RUNS_COMPILED && existsSync(PREBUILT_BUNDLE) ? { codePath: PREBUILT_BUNDLE } : undefined;
}

/** The workflows as one bundle, the way every worker loads them (a release's tree may be given instead). */
export function bundleWorkflows(workflowsPath = WORKFLOWS_PATH): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({
    workflowsPath,
    workflowInterceptorModules: workflowInterceptorModules(workflowsPath),
    logger: sdkLogger('warn'),
  });
}

let runtimeInstalled = false;
/**
 * The SDK logs onto the process's logger (`config/logger.ts`), its own messages at warnings: at info it prints
 * webpack's module list and every worker state change, which buries the lines a new user needs. LOG_LEVEL=info
 * brings them back; workflow and activity code log at the process's level.
 * With `coreMetrics` (host:port) the SDK's Core serves its metrics there (schedule-to-start latency, task
 * failures, sticky cache, slots) under our prefix, in seconds; the worker's `/metrics` passes them on.
 */
export function quietRuntime(level = logLevel(process.env.LOG_LEVEL, 'warn'), coreMetrics?: string): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({
      logger: sdkLogger(level),
      telemetryOptions: {
        // Core's own lines (Rust) onto the same logger, not its coloured text on stderr.
        logging: {
          forward: {},
          filter: makeTelemetryFilterString({
            core: level === 'fatal' ? 'ERROR' : (level.toUpperCase() as 'WARN'),
          }),
        },
        ...(coreMetrics && {
          metrics: {
            metricPrefix: 'durable_runbooks_',
            prometheus: { bindAddress: coreMetrics, useSecondsForDurations: true, countersTotalSuffix: true },
          },
        }),
      },
    });
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
  docker?: import('dockerode');
  /** Pre-built bundle (tests share one); otherwise the workflows are bundled at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  overrides?: Partial<WorkerOptions>;
  /**
   * Names the code this worker runs. Two workers of different code in one process (a test running the
   * previous release beside the current one) need different ones: the SDK refuses a second poller of the
   * same queue and build id in a process. Worker Versioning stays off; it only labels the pollers.
   */
  buildId?: string;
  /** The store, when this process holds it: the worker then polls the system-of-record lane too. */
  store?: SqlClient;
}

/**
 * The pollers of one worker process: workflows and activities on the task queue; the incidents' Slack lane on
 * its own queue, paced to `slack.maxCallsPerSecond` across all workers; the runbooks (workflows and their
 * mitigations) on theirs, with slots of their own; and, where the process holds the store, the system of
 * record's lane (`record-worker.ts`). They start, stop and fail together.
 */
export class IncidentWorker {
  constructor(
    readonly workflows: Worker,
    readonly chat: Worker,
    readonly runbooks: Worker,
    /** Where its workflow code came from, for the start-up log. */
    readonly workflowsFrom: string,
    readonly record?: Worker,
  ) {}

  private get all(): Worker[] {
    return [this.workflows, this.chat, this.runbooks, ...(this.record ? [this.record] : [])];
  }

  getState(): ReturnType<Worker['getState']> {
    return this.workflows.getState();
  }

  /** Runs them all until shutdown (or a signal); when one stops, the others are stopped too. */
  async run(): Promise<void> {
    const runs = this.all.map((w) => w.run());
    try {
      await Promise.race(runs);
    } finally {
      this.shutdown();
      await Promise.allSettled(runs);
    }
    await Promise.all(runs); // a failure of either is the worker's
  }

  async runUntil<R>(until: Promise<R> | (() => Promise<R>)): Promise<R> {
    const running = this.run();
    try {
      return await (typeof until === 'function' ? until() : until);
    } finally {
      this.shutdown();
      await running;
    }
  }

  shutdown(): void {
    for (const worker of this.all) if (worker.getState() === 'RUNNING') worker.shutdown();
  }
}

export async function createIncidentWorker(opts: IncidentWorkerOptions): Promise<IncidentWorker> {
  const taskQueue = opts.taskQueue ?? TASK_QUEUE;
  const activities = createIncidentActivities({
    config: opts.config,
    baseDir: opts.baseDir ?? REPO_ROOT,
    env: opts.env,
  });
  // On SIGTERM, running activities get this long to finish (a page in flight is sent, not dropped and
  // resent by the next worker); after it they are cancelled and Temporal retries them elsewhere.
  const shutdownGraceTime = '20s' as const;
  // One bundle for the two pollers that run workflows (bundling takes seconds and memory).
  const prebuilt = opts.workflowBundle ? undefined : prebuiltBundle();
  const workflowBundle = opts.workflowBundle ?? prebuilt ?? (await bundleWorkflows());
  const workflowsFrom = opts.workflowBundle
    ? 'the bundle it was given'
    : prebuilt
      ? `the bundle built with this release (${prebuilt.codePath})`
      : 'bundled at start';
  const common = {
    connection: opts.connection,
    namespace: opts.namespace ?? 'default',
    shutdownGraceTime,
    activities,
    ...deploymentVersion(opts.buildId),
    ...tracingWorkerOptions(startTracing('worker')),
  };
  const workflows = await Worker.create({
    ...common,
    // Revision 5 writes the store as a local activity of the worker running the incident (when it holds one).
    activities: { ...activities, ...createRecordHereActivities(opts.store, opts.baseDir ?? REPO_ROOT) },
    taskQueue,
    workflowBundle,
    ...opts.overrides,
  });
  const chat = await Worker.create({
    ...common,
    taskQueue: chatTaskQueue(taskQueue),
    maxTaskQueueActivitiesPerSecond: opts.config.slack.maxCallsPerSecond,
  });
  const runbooks = await Worker.create({
    ...common,
    taskQueue: runbookTaskQueue(taskQueue),
    workflowBundle,
    ...opts.overrides,
  });
  const record =
    opts.store &&
    (await createRecordWorker({
      connection: opts.connection,
      namespace: common.namespace,
      taskQueue,
      db: opts.store,
      baseDir: opts.baseDir ?? REPO_ROOT,
      buildId: opts.buildId,
    }));
  return new IncidentWorker(workflows, chat, runbooks, workflowsFrom, record || undefined);
}

/**
 * Starts the task queue's stuck-incident watchdog unless it runs already (every replica asks; one runs).
 * Its settings are read when it starts: after changing `watchdog`, terminate it and a worker starts it anew.
 */
export async function ensureWatchdog(
  client: Client,
  config: RunbooksConfig,
  taskQueue = TASK_QUEUE,
): Promise<string> {
  const workflowId = `${WATCHDOG_WORKFLOW_ID}-${taskQueue}`;
  await client.workflow.start(incidentWatchdogWorkflow, {
    workflowId,
    taskQueue,
    args: [
      {
        everyMs: config.watchdog.every,
        failedAttempts: config.watchdog.failedAttempts,
        remindEveryMs: config.watchdog.remindEvery,
      },
    ],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
  return workflowId;
}

/**
 * Starts every configured heartbeat's workflow unless it runs already, so that a heartbeat never heard from
 * since start-up alarms too. A running one keeps its state; each beat brings it the current settings.
 */
export async function ensureHeartbeats(
  client: Client,
  config: RunbooksConfig,
  taskQueue = TASK_QUEUE,
): Promise<string[]> {
  const started: string[] = [];
  for (const name of Object.keys(config.heartbeats)) {
    // The same settings each beat from the intake carries.
    const settings = heartbeatSettings(config, name)!;
    await client.workflow.start(heartbeatWorkflow, {
      workflowId: heartbeatWorkflowId(name),
      taskQueue,
      args: [{ settings }],
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    started.push(name);
  }
  return started;
}
