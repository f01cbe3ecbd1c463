/** What the intake's routes share: the Temporal client and its deadline, the configuration, metrics, clock. */
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Env } from '../activities/secrets';
import type { RunbooksConfig } from '../config';
import type { Logger } from '../config/logger';
import { AlertDispatcher } from './alert-dispatcher';
import { HeartbeatBeats } from './heartbeats';
import { invalidArgument, TemporalRefused, TemporalUnavailable, tokenCheck } from './http';
import { createIntakeMetrics, type IntakeMetrics } from './metrics';
import { localRequestMemory, type RequestMemory } from './request-memory';
import { TASK_QUEUE } from '../config/task-queue';

export interface IntakeOptions {
  client: Client;
  config: RunbooksConfig;
  /** Bearer token required on alert routes; without one the caller must bind to loopback. */
  token?: string;
  env?: Env;
  taskQueue?: string;
  temporalTimeoutMs?: number;
  metrics?: IntakeMetrics;
  /** Where the intake logs what it did with each post (`config/logger.ts`); nothing when unset. */
  logger?: Logger;
  /** The resend window's clock; a benchmark replays a week of resends through it in minutes. */
  now?: () => number;
  /** Signed requests already handled: this replica's own memory unless the replicas share a store. */
  requests?: RequestMemory;
}

export interface IntakeContext {
  client: Client;
  config: RunbooksConfig;
  env: Env;
  metrics: IntakeMetrics;
  taskQueue?: string;
  timeoutMs: number;
  now: () => number;
  /**
   * A Temporal call within the deadline; any failure but not-found is `TemporalUnavailable`, or
   * `TemporalRefused` when Temporal refused it for good.
   */
  withTemporal: <T>(fn: () => Promise<T>) => Promise<T>;
  /** The `onRequest` hook of routes behind the bearer token. */
  requireToken: (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
  alerts: AlertDispatcher;
  heartbeats: HeartbeatBeats;
  requests: RequestMemory;
}

export function intakeContext(opts: IntakeOptions): IntakeContext {
  const { client, config } = opts;
  const timeoutMs = opts.temporalTimeoutMs ?? 5000;
  const metrics =
    opts.metrics ?? createIntakeMetrics({ client, taskQueue: opts.taskQueue ?? TASK_QUEUE, timeoutMs });
  const now = opts.now ?? Date.now;
  const withTemporal = async <T>(fn: () => Promise<T>): Promise<T> => {
    const end = metrics.latency.startTimer();
    try {
      return await client.connection.withDeadline(Date.now() + timeoutMs, fn);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw err;
      if (invalidArgument(err)) throw new TemporalRefused((err as Error).message, { cause: err });
      throw new TemporalUnavailable((err as Error).message, { cause: err });
    } finally {
      end();
    }
  };
  return {
    client,
    config,
    env: opts.env ?? process.env,
    metrics,
    taskQueue: opts.taskQueue,
    timeoutMs,
    now,
    withTemporal,
    requireToken: tokenCheck(opts.token),
    requests: opts.requests ?? localRequestMemory(now),
    alerts: new AlertDispatcher({
      client,
      withTemporal,
      resendWindowMs: config.intake.resendWindow,
      taskQueue: opts.taskQueue,
      now,
    }),
    heartbeats: new HeartbeatBeats({ client, config, withTemporal, taskQueue: opts.taskQueue, now }),
  };
}
