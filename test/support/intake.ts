import type { AddressInfo } from 'node:net';
import axios, { type AxiosResponse } from 'axios';
import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { RunbooksConfig } from '../../config';
import { createLogger } from '../../config/logger';
import { createIntakeMetrics, type IntakeMetrics } from '../../intake/metrics';
import type { RequestMemory } from '../../intake/request-memory';
import { buildIntakeServer } from '../../intake/server';

export interface RunningIntake {
  url: string;
  app: FastifyInstance;
  metrics: IntakeMetrics;
  /** What it logged, at info and up, as the objects of its JSON lines. */
  logged: Record<string, unknown>[];
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<AxiosResponse>;
  close(): Promise<void>;
}

/** The real intake on an ephemeral loopback port, talked to over real HTTP. */
export async function startIntake(opts: {
  client: Client;
  config: RunbooksConfig;
  taskQueue: string;
  token?: string;
  env?: Record<string, string | undefined>;
  /** Where it remembers the signed requests it handled (its own memory when unset). */
  requests?: RequestMemory;
}): Promise<RunningIntake> {
  const metrics = createIntakeMetrics();
  const logged: Record<string, unknown>[] = [];
  const logger = createLogger({
    name: 'intake',
    env: { LOG_LEVEL: 'info', LOG_FORMAT: 'json' },
    destination: { write: (chunk: string) => void logged.push(JSON.parse(chunk) as Record<string, unknown>) },
  });
  const app = await buildIntakeServer({
    ...opts,
    metrics,
    logger,
    env: opts.env ?? {},
    temporalTimeoutMs: 3000,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const auth: Record<string, string> = opts.token ? { authorization: `Bearer ${opts.token}` } : {};
  return {
    url,
    app,
    metrics,
    logged,
    post: (path, body, headers = {}) =>
      axios.post(`${url}${path}`, body, {
        validateStatus: () => true,
        headers: { 'content-type': 'application/json', ...auth, ...headers },
        transformRequest: [
          (d: unknown) => (typeof d === 'string' || Buffer.isBuffer(d) ? d : JSON.stringify(d)),
        ],
      }),
    close: () => app.close(),
  };
}

export async function counter(metrics: IntakeMetrics, outcome: string): Promise<number> {
  const values = (await metrics.alerts.get()).values.filter((v) => v.labels.outcome === outcome);
  return values.reduce((sum, v) => sum + v.value, 0);
}
