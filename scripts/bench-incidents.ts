/**
 * `npm run bench:incidents -- [count]`: opens `count` (default 1,000) incidents, each with its escalation
 * and status-update timers, on ONE worker process against a dev server; prints the time to start them
 * all and the worker's RSS. Target: under 1 GiB.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { openOrSignalIncident } from '../intake/open-incident';
import { benchTemporal, percentile, pool } from './bench-support';
import { killGroup } from './local-services';

const ROOT = path.resolve(__dirname, '..');
const rssMiB = (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const count = Number(process.argv[2] ?? 1000);
  const taskQueue = `bench-${Date.now()}`;
  const temporal = await benchTemporal();
  const worker = spawn(process.execPath, ['-r', 'tsx/cjs', path.join(ROOT, 'workers', 'main.ts')], {
    cwd: ROOT,
    env: { ...process.env, TEMPORAL_ADDRESS: temporal.address, TEMPORAL_TASK_QUEUE: taskQueue },
    stdio: ['ignore', 'ignore', 'inherit'],
    detached: true,
  });
  try {
    await sleep(8000); // bundle + first poll
    const idle = rssMiB(worker.pid!);
    const started = performance.now();
    const latencies = await pool(count, 50, async (i) => {
      await openOrSignalIncident(
        temporal.client,
        {
          dedupKey: `bench-${taskQueue}-${i}`,
          service: 'bench',
          scenario: 'health',
          severity: 'P1',
          summary: `bench incident ${i}`,
          security: false,
        },
        { taskQueue },
      );
    });
    const startSeconds = (performance.now() - started) / 1000;
    // Wait until every incident has paged its first level (all timers armed).
    const query = `TaskQueue = '${taskQueue}' AND IncidentStatus = 'triggered' AND ExecutionStatus = 'Running'`;
    const settleStart = performance.now();
    let ready = 0;
    while (performance.now() - settleStart < 300_000) {
      ready = (await temporal.client.workflow.count(query)).count;
      if (ready >= count) break;
      await sleep(2000);
    }
    await sleep(10_000);
    const loaded = rssMiB(worker.pid!);
    console.log(
      [
        `incidents started:        ${count} in ${startSeconds.toFixed(1)} s (${(count / startSeconds).toFixed(0)}/s, signalWithStart p50 ${percentile(latencies, 50).toFixed(0)} ms, p99 ${percentile(latencies, 99).toFixed(0)} ms, 50 in flight)`,
        `open with timers armed:   ${ready} after ${((performance.now() - settleStart) / 1000).toFixed(0)} s`,
        `worker RSS idle:          ${idle.toFixed(0)} MiB`,
        `worker RSS with all open: ${loaded.toFixed(0)} MiB (target < 1024 MiB)`,
      ].join('\n'),
    );
  } finally {
    await killGroup(worker);
    await temporal.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
