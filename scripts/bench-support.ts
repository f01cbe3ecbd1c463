import os from 'node:os';
import path from 'node:path';
import { mkdtempSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { startTemporalDevServer, type TemporalDevServer } from './local-services';
import { registerSearchAttributes } from './temporal-server';

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
