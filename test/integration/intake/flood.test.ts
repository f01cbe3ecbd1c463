/**
 * Floods and slow clients: one source posting 2,000 alerts/s for 10 s is limited to its share (429 with
 * Retry-After), every alert it was told was accepted is in Temporal, and another source is served
 * meanwhile; a client that never finishes its request is cut off; an event loop in trouble sheds load.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import axios from 'axios';
import { Client, Connection } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { incidentWorkflowId } from '../../../intake/incident-id';
import { killGroup, freePort } from '../../../scripts/testbed/local-services';
import { testConfig, writeTestConfig } from '../../../scripts/testbed/config';
import { eventually } from '../../../scripts/testbed/eventually';
import { startIntake } from '../../support/intake';
import { describeWith, serviceValue } from '../../../scripts/testbed/services';
import { tempDir, uniqueTaskQueue } from '../../../scripts/testbed/temporal';
import { timedPost, type FloodReport, type SteadyPost } from '../../support/flood';

const ROOT = path.resolve(__dirname, '..', '..', '..');

const FLOOD_SOURCE = '127.0.0.2';
const OTHER_SOURCE = '127.0.0.3';
/** Per 100 ms window (20/s, smoothly): over the 10 s flood, about 100 windows of it. */
const RATE_LIMIT = 2;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Runs test/support/flood.ts in its own process with `env` (FLOOD or STEADY) and parses what it prints. */
function runSource<T>(env: Record<string, string>): Promise<T> {
  const child = spawn(
    process.execPath,
    ['-r', 'tsx/cjs', path.join(__dirname, '..', '..', 'support', 'flood.ts')],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  return new Promise((resolve, reject) =>
    child.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out) as T) : reject(new Error(`flood.ts exited ${code}`)),
    ),
  );
}

describeWith(['temporal'], 'intake under a flood', () => {
  let connection: Connection;
  let client: Client;
  let intake: ChildProcess;
  let url: string;
  // Nobody polls this queue: accepted alerts start incidents that wait, and page nobody.
  const taskQueue = uniqueTaskQueue('flood');

  beforeAll(async () => {
    connection = await Connection.connect({ address: serviceValue('temporal') });
    client = new Client({ connection });
    // The intake as it runs in production: `npm run intake`, its own process (not the one running the tests,
    // whose heap and collections would be measured with it).
    const configFile = writeTestConfig(tempDir('flood-'), {
      intake: { rateLimit: { max: RATE_LIMIT, window: '100ms' }, requestTimeout: '2s' },
    });
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    intake = spawn(process.execPath, ['-r', 'tsx/cjs', path.join(ROOT, 'intake', 'main.ts')], {
      cwd: ROOT,
      detached: true,
      stdio: 'ignore',
      env: {
        ...process.env,
        RUNBOOKS_CONFIG: configFile,
        TEMPORAL_ADDRESS: serviceValue('temporal'),
        TEMPORAL_TASK_QUEUE: taskQueue,
        INTAKE_HOST: '127.0.0.1',
        INTAKE_PORT: String(port),
      },
    });
    await eventually(async () => expect((await axios.get(`${url}/healthz`)).status).toBe(200), 60_000, 100);
  });
  afterAll(async () => {
    if (intake) await killGroup(intake);
    await connection?.close();
  });

  test('2,000 alerts/s from one source for 10 s: limited with Retry-After, all accepted in Temporal, others served', async () => {
    const prefix = `flood-${Date.now()}`;
    // An intake that has served before (as a running one has): its first calls to Temporal are behind it.
    const warmUp = Array.from({ length: 10 }, (_, i) => `${prefix}-warm-${i}`);
    for (const dedupKey of warmUp) {
      const body = { service: 'other', summary: 'warm-up', severity: 'P3', dedupKey };
      expect((await timedPost(url, OTHER_SOURCE, body)).status).toBe(202);
      await new Promise((r) => setTimeout(r, 100)); // within this source's limit
    }
    // ... and has refused before: a quick burst from the flooding address, the first two accepted and the
    // rest answered 429, so the refusal path is not compiled during the measurement. Then a fresh window.
    const burst = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        timedPost(url, FLOOD_SOURCE, {
          service: 'flood',
          summary: 'warm-up',
          severity: 'P3',
          dedupKey: `${prefix}-warm-burst-${i}`,
        }),
      ),
    );
    expect(burst.filter((b) => b.status === 429).length).toBeGreaterThanOrEqual(20 - 2 * RATE_LIMIT);
    warmUp.push(...burst.map((_, i) => `${prefix}-warm-burst-${i}`));
    await new Promise((r) => setTimeout(r, 300));
    // The flooder and a well-behaved source side by side, each in its own process; the steady one posts
    // every 50 ms from before the flood starts until after it ends (about 200 posts during it, so the p99
    // is not simply the slowest one).
    const [flood, others] = await Promise.all([
      runSource<FloodReport>({
        FLOOD: JSON.stringify({ url, localAddress: FLOOD_SOURCE, perSecond: 2000, seconds: 10, prefix }),
      }),
      runSource<SteadyPost[]>({
        STEADY: JSON.stringify({
          url,
          localAddress: OTHER_SOURCE,
          intervalMs: 50,
          seconds: 13,
          prefix: `${prefix}-other`,
        }),
      }),
    ]);
    // Latency during the flood: posts sent between its first request and its last answer.
    const during = others.filter((o) => o.at >= flood.startedAt && o.at <= flood.endedAt);
    const latencies = during.map((o) => o.ms).sort((a, b) => a - b);
    const summary = {
      flood: {
        sent: flood.sent,
        statuses: flood.statuses,
        errors: flood.errors,
        errorCodes: flood.errorCodes,
        resentAfterReset: flood.resentAfterReset,
      },
      others: {
        count: others.length,
        duringFlood: during.length,
        p50ms: Math.round(percentile(latencies, 50)),
        p99ms: Math.round(percentile(latencies, 99)),
        maxMs: Math.round(latencies[latencies.length - 1]),
        maxMsAll: Math.round(Math.max(...others.map((o) => o.ms))),
      },
    };
    console.log(`flood: ${JSON.stringify(summary)} ${JSON.stringify(during.map((o) => Math.round(o.ms)))}`);

    expect(flood.sent).toBe(20_000);
    expect(flood.errors).toBe(0);
    // The limit per window was accepted; the rest were told when to come back.
    const windows = Math.round(flood.statuses['202'] / RATE_LIMIT);
    expect(flood.statuses['202']).toBe(windows * RATE_LIMIT);
    expect(windows).toBeGreaterThanOrEqual(90);
    expect(windows).toBeLessThanOrEqual(110);
    expect(flood.statuses['429']).toBe(20_000 - windows * RATE_LIMIT);
    expect(flood.retryAfter.length).toBeGreaterThan(0);
    for (const seconds of flood.retryAfter) expect(Number(seconds)).toBeGreaterThan(0);
    // Every alert the flooder was told was accepted is a workflow in Temporal.
    const accepted = [...new Set(flood.accepted)];
    expect(accepted).toHaveLength(windows * RATE_LIMIT);
    for (const id of accepted) await client.workflow.getHandle(id).describe();
    // The other source was never limited, never shed, and answered promptly. It posts after each answer,
    // so how many posts fall inside the flood depends on the latency being measured: enough for a
    // percentile, not a number that a slower machine turns into a failure.
    expect(during.length).toBeGreaterThanOrEqual(10);
    expect(others.filter((o) => o.status !== 202)).toEqual([]);
    // The goal is 100 ms p99 (printed above, and in the closing notes); the bound here only catches a
    // stall, so that a slow CI machine does not turn a measurement into a flaky test.
    expect(summary.others.p99ms).toBeLessThan(2000);

    const otherIds = [...warmUp, ...others.map((o) => o.dedupKey)].map(incidentWorkflowId);
    for (const id of [...accepted, ...otherIds])
      await client.workflow
        .getHandle(id)
        .terminate('flood test cleanup')
        .catch((err) => {
          if (!(err instanceof WorkflowNotFoundError)) throw err;
        });
  });

  test('a client that never finishes its request is answered 408 and cut off', async () => {
    const { port } = new URL(url);
    const socket = net.connect({ host: '127.0.0.1', port: Number(port) });
    let answer = '';
    socket.on('data', (c: Buffer) => (answer += c.toString()));
    // Headers sent, one byte of a promised 1,000-byte body, then nothing.
    socket.write(
      'POST /alerts HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{',
    );
    await new Promise((resolve) => socket.on('close', resolve));
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
  });
});

describeWith(['temporal'], 'intake with a stalled event loop', () => {
  test('past maxEventLoopDelay it answers 503 with Retry-After at once, and serves again after', async () => {
    const connection = Connection.lazy({ address: serviceValue('temporal') });
    const intake = await startIntake({
      client: new Client({ connection }),
      config: testConfig({ intake: { maxEventLoopDelay: '50ms' } }),
      taskQueue: uniqueTaskQueue('pressure'),
    });
    try {
      // Serving before the stall. Eventually: the intake shares the test's process, and a long jest run's
      // garbage collection can pause it past 50 ms on its own (seen in a fresh-clone .ci/run).
      await eventually(async () =>
        expect((await axios.get(`${intake.url}/healthz`, { validateStatus: () => true })).status).toBe(200),
      );
      // The intake runs in this process: stall it in 150 ms slices (as a CPU-bound flood would) and ask
      // for /healthz in the middle of the stall.
      let during: Promise<{ status: number; retryAfter: unknown }> | undefined;
      for (let slice = 0; slice < 12; slice++) {
        const until = Date.now() + 150;
        while (Date.now() < until);
        if (slice === 6)
          during = axios
            .get(`${intake.url}/healthz`, { validateStatus: () => true })
            .then((r) => ({ status: r.status, retryAfter: r.headers['retry-after'] }));
        await new Promise((r) => setImmediate(r));
      }
      expect(await during).toEqual({ status: 503, retryAfter: '10' });
      await eventually(async () => expect((await axios.get(`${intake.url}/healthz`)).status).toBe(200));
    } finally {
      await intake.close();
      await connection.close();
    }
  });
});
