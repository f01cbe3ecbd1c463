import os from 'node:os';
import path from 'node:path';
import { mkdtempSync, readFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { startTemporalDevServer, type TemporalDevServer } from '../testbed/local-services';
import { registerSearchAttributes } from '../ops/temporal-server';

/** A fresh dev server in a temp dir (or TEMPORAL_ADDRESS when set) and a client, for benchmarks. */
export async function benchTemporal(): Promise<{
  client: Client;
  address: string;
  server?: TemporalDevServer;
  close(): Promise<void>;
}> {
  let server: TemporalDevServer | undefined;
  let address = process.env.TEMPORAL_ADDRESS;
  if (!address) {
    server = await startTemporalDevServer(mkdtempSync(path.join(os.tmpdir(), 'bench-temporal-')), {
      headless: true,
    });
    address = server.address;
  }
  const connection = await Connection.connect({ address });
  await registerSearchAttributes(connection);
  return {
    client: new Client({ connection }),
    address,
    server,
    async close() {
      await connection.close();
      await server?.stop();
    },
  };
}

/** Scripts outside `npm test` use the time-skipping server that `npm run provision` installed. */
export function useProvisionedTestServer(): void {
  process.env.RUNBOOKS_TEST_SERVER_PATH ??= path.resolve(
    __dirname,
    '..',
    '..',
    '.tools',
    'bin',
    'temporal-test-server',
  );
}

/** Runs `total` tasks with at most `concurrency` in flight; returns each task's latency in ms. */
export async function pool(
  total: number,
  concurrency: number,
  task: (i: number) => Promise<void>,
): Promise<number[]> {
  const latencies: number[] = new Array(total);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < total; i = next++) {
        const t = performance.now();
        await task(i);
        latencies[i] = performance.now() - t;
      }
    }),
  );
  return latencies;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Calls `send` `perSecond` times a second for `seconds`, not waiting for one call before the next. */
export async function atSteadyRate(perSecond: number, seconds: number, send: (i: number) => Promise<void>) {
  const started = Date.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < perSecond * seconds; i++) {
    const due = started + (i * 1000) / perSecond;
    if (due > Date.now()) await sleep(due - Date.now());
    inFlight.push(send(i));
  }
  await Promise.all(inFlight);
}

/** A process's resident memory in MiB (0 once it is gone). */
export function rssMiB(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

export interface Delivery {
  status: number;
  workflowId?: string;
  /** Answers before the accepted one: 429/503 (with Retry-After) or a dropped connection. */
  refused: number[];
  retryAfterSeen: boolean;
}

/** Posts an alert as Alertmanager does: on 429 or 5xx, waits for Retry-After (else 0.5 s) and sends again. */
export async function deliver(url: string, body: unknown, giveUpAfterMs = 120_000): Promise<Delivery> {
  const refused: number[] = [];
  let retryAfterSeen = false;
  const deadline = Date.now() + giveUpAfterMs;
  for (;;) {
    let status = 0;
    let waitMs = 500;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
      status = res.status;
      const answer = (await res.json().catch(() => ({}))) as { incidents?: { workflowId: string }[] };
      if (status === 202 || status === 200)
        return { status, workflowId: answer.incidents?.[0]?.workflowId, refused, retryAfterSeen };
      const retryAfter = res.headers.get('retry-after');
      if (retryAfter) {
        retryAfterSeen = true;
        waitMs = Number(retryAfter) * 1000;
      }
      if (status !== 429 && status < 500) return { status, refused, retryAfterSeen };
    } catch {
      status = 0; // connection refused or reset: the proxy had no replica for a moment
    }
    refused.push(status);
    if (Date.now() > deadline) return { status, refused, retryAfterSeen };
    await sleep(waitMs);
  }
}
