/**
 * `npm run bench:cluster -- [burst] [worker counts] [open]`: the same measurements on the CLI dev server
 * (SQLite) and on the cluster of `npm run cluster` (Temporal server on PostgreSQL), in one run, each with the
 * same application around it: two intake replicas behind HAProxy and N worker processes, fed Alertmanager
 * posts for distinct group keys (each a new P1 incident that pages), from this process.
 *
 * For each server and worker count (default 1,2,4):
 * - a burst of `burst` alerts (default 1,000), 50 in flight: incidents started per second, the time until
 *   all of them have paged (the first page in the notification journal), and CPU seconds by process
 *   (Temporal, PostgreSQL, workers, intakes, proxy, this client) — where the time goes;
 * - with 2 workers also: alert → first page p50/p99 at a steady 10 and 50 alerts/s (20 s each), and the
 *   workers' RSS per 1,000 open incidents; with `open` > 0 (e.g. 10000), that many open incidents are
 *   started and the time until all have paged is reported too.
 * Prints one line per measurement and, at the end, every result as JSON (docs/benchmarks.md holds runs' results).
 * To repeat one measurement: BENCH_SERVERS=cluster (or dev) picks the server, BENCH_RATES=50 the steady
 * rates, and a burst of 0 skips the burst. BENCH_REVISIONS=3,4,3,4 runs everything once per engine revision
 * listed, in that order (alternate them: the machine drifts). BENCH_LIFE=1 adds, at the same rates, incidents'
 * whole lives: opened and paged, acknowledged, resolved and closed with their reviews, each step at the rate,
 * and the CPU from the first post until every run has completed, per incident; BENCH_TRACE=1 then prints
 * what the lives' histories hold and where the last one waited. BENCH_FLOOR=1 adds, at the same rates, the
 * floor: the least a Temporal application does per alert (`bench-floor-workflow.ts`: started with a signal,
 * one activity, then open), run by a worker in this process, which is what the server and its database cost
 * before our logic.
 */
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { DEFAULT_CONFIG_PATH } from '../../config';
import { sendCommand } from '../../intake/commands';
import type { CommandName } from '../../workflows/incident/commands';
import { atSteadyRate, deliver, percentile, pool, rssMiB, sleep } from './bench-support';
import { clusterSupervisor, scratchClusterSettings, startCluster, startReplicas } from '../ops/cluster';
import { localActivityType, protoMs } from '../testbed/history';
import { killGroup, startTemporalDevServer } from '../testbed/local-services';
import { REPO_ROOT, registerSearchAttributes } from '../ops/temporal-server';
import { cpuSeconds, cpuSince, FirstPages } from './cluster-measures';
import { floorAlertSignal, floorIncident, type FloorActivities } from './bench-floor-workflow';

interface Target {
  server: 'dev server' | 'cluster';
  workers: number;
  intakeUrl: string;
  address: string;
  client: Client;
  /** First pages in the notification journal. */
  pages: FirstPages;
  /** Process groups by component, for CPU accounting. */
  groups(): Record<string, number[]>;
  workerPids(): number[];
  stop(): Promise<void>;
}

/** The configuration the run starts from (each target then writes its own copy and points RUNBOOKS_CONFIG at it). */
const BASE_CONFIG = process.env.RUNBOOKS_CONFIG ?? DEFAULT_CONFIG_PATH;

async function startTarget(
  server: Target['server'],
  workers: number,
  log: (l: string) => void,
  /** The engine revision new incidents take; undefined: the configuration's. */
  revision?: number,
): Promise<Target> {
  const stateDir = path.join(REPO_ROOT, '.data', 'bench-cluster', server === 'cluster' ? 'cluster' : 'dev');
  const { settings, journalFile } = await scratchClusterSettings(stateDir, workers, BASE_CONFIG, (raw) => {
    if (revision !== undefined) raw.engine = { ...raw.engine, revision };
  });
  const supervisor = clusterSupervisor(settings, log);
  let address: string;
  let stopServer = async () => undefined as void;
  let serverGroups: () => Record<string, number[]>;
  if (server === 'cluster') {
    const cluster = await startCluster(settings, log, supervisor);
    address = cluster.temporalAddress;
    serverGroups = () => {
      const pids = supervisor.pids();
      return { temporal: [pids['temporal-server'], pids['temporal-ui']], postgres: [pids.postgres] };
    };
  } else {
    const dev = await startTemporalDevServer(path.join(stateDir, 'temporal'), { headless: true });
    address = dev.address;
    const connection = await Connection.connect({ address });
    await registerSearchAttributes(connection);
    await connection.close();
    await startReplicas(supervisor, settings, address, log);
    stopServer = () => killGroup(dev.child);
    serverGroups = () => ({ temporal: [dev.child.pid!], postgres: [] });
  }
  const connection = await Connection.connect({ address });
  const names = (prefix: string) =>
    Object.entries(supervisor.pids())
      .filter(([name]) => name.startsWith(prefix))
      .map(([, pid]) => pid);
  return {
    server,
    workers,
    intakeUrl: `http://127.0.0.1:${settings.intakePort}`,
    address,
    client: new Client({ connection }),
    pages: new FirstPages(journalFile),
    groups: () => ({
      ...serverGroups(),
      workers: names('worker-'),
      intakes: names('intake-').filter((pid) => pid !== supervisor.pids()['intake-proxy']),
      proxy: [supervisor.pids()['intake-proxy']],
    }),
    workerPids: () => names('worker-'),
    async stop() {
      await connection.close();
      await supervisor.stop();
      await stopServer();
    },
  };
}

let sequence = 0;
const run = Date.now().toString(36);

/** One new P1 incident per post (sent again on 429/503 as Alertmanager would); its workflow id and send time. */
async function postIncident(url: string): Promise<{ workflowId: string; sentAt: number }> {
  const i = sequence++;
  const labels = { alertname: 'ServiceDown', service: 'checkout', severity: 'critical' };
  const sentAt = Date.now();
  const delivery = await deliver(`${url}/alerts/alertmanager`, {
    version: '4',
    groupKey: `bench-${run}-${i}`,
    status: 'firing',
    receiver: 'bench',
    commonLabels: labels,
    alerts: [
      { status: 'firing', labels, annotations: { summary: `bench ${i}` }, fingerprint: `fp-${run}-${i}` },
    ],
  });
  if (delivery.status !== 202 || !delivery.workflowId)
    throw new Error(
      `intake answered ${delivery.status} (after ${delivery.refused.join(', ') || 'no refusals'})`,
    );
  return { workflowId: delivery.workflowId, sentAt };
}

/** Waits until every incident in `sent` has paged; answers each one's alert → first page ms. */
async function waitForPages(target: Target, sent: Map<string, number>, timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pages = target.pages.read();
    const missing = [...sent.keys()].filter((id) => !pages.has(id)).length;
    if (!missing) return [...sent].map(([id, at]) => pages.get(id)! - at);
    if (Date.now() > deadline) throw new Error(`${missing} of ${sent.size} incidents have not paged`);
    await sleep(500);
  }
}

async function paced(target: Target, perSecond: number, seconds: number) {
  const cpuBefore = cpuSeconds(target.groups());
  const sent = new Map<string, number>();
  const accepted: number[] = [];
  await atSteadyRate(perSecond, seconds, () =>
    postIncident(target.intakeUrl).then(({ workflowId, sentAt }) => {
      sent.set(workflowId, sentAt);
      accepted.push(Date.now() - sentAt);
    }),
  );
  const latencies = await waitForPages(target, sent, 600_000);
  return {
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: Math.max(...latencies),
    // The intake's answer comes once Temporal has started the workflow: the part of the latency before it.
    acceptedP50: percentile(accepted, 50),
    acceptedP99: percentile(accepted, 99),
    cpuSeconds: cpuSince(target.groups(), cpuBefore),
  };
}

/**
 * Incidents' whole lives at `perSecond` (see the header): CPU by component from the first post until every run
 * has completed, and its sum per incident (ms). Reviews, store writes and closing all count.
 */
async function wholeLife(target: Target, perSecond: number, seconds: number) {
  const cpuBefore = cpuSeconds(target.groups());
  const started = Date.now();
  const sent = new Map<string, number>();
  await atSteadyRate(perSecond, seconds, () =>
    postIncident(target.intakeUrl).then(({ workflowId, sentAt }) => void sent.set(workflowId, sentAt)),
  );
  await waitForPages(target, sent, 600_000);
  const ids = [...sent.keys()];
  const steps: Array<[CommandName, Record<string, unknown>]> = [
    ['acknowledge', { by: 'bench' }],
    ['resolve', { by: 'bench', summary: 'bench' }],
  ];
  for (const [name, args] of steps)
    await atSteadyRate(perSecond, seconds, async (i) => {
      const outcome = await sendCommand(target.client.workflow.getHandle(ids[i]), name, args);
      if (!outcome.accepted) throw new Error(`${name} of ${ids[i]} refused: ${outcome.reason}`);
    });
  const closedAt = new Map<string, number>();
  await pool(ids.length, 50, async (i) => {
    await target.client.workflow.getHandle(ids[i]).result();
    closedAt.set(ids[i], Date.now());
  });
  const cpu = cpuSince(target.groups(), cpuBefore);
  if (process.env.BENCH_TRACE) await traceLast(target.client, closedAt);
  const total = Object.values(cpu).reduce((sum, s) => sum + s, 0);
  return {
    incidents: ids.length,
    seconds: Math.round((Date.now() - started) / 1000),
    cpuSeconds: cpu,
    cpuMsPerIncident: Math.round((total / ids.length) * 1000),
  };
}

/**
 * BENCH_TRACE=1, after the measurement: how the lives' store writes went (where the workflow task ran, or by
 * the lane) and what their workflow tasks and Slack posts were, then the last incident to close, its
 * history's last events with their times (where it waited).
 */
async function traceLast(client: Client, closedAt: Map<string, number>) {
  const ids = [...closedAt.keys()];
  const counts: Record<string, number> = {};
  await pool(ids.length, 20, async (i) => {
    for (const e of (await client.workflow.getHandle(ids[i]).fetchHistory()).events ?? []) {
      const local = localActivityType(e);
      const name =
        e.activityTaskScheduledEventAttributes?.activityType?.name ??
        (local ? `local ${local}` : null) ??
        (e.workflowTaskCompletedEventAttributes ? 'workflow tasks' : null);
      if (name) counts[name] = (counts[name] ?? 0) + 1;
    }
  });
  console.log(
    `[trace] per incident: ${Object.entries(counts)
      .map(([k, n]) => `${k} ${(n / ids.length).toFixed(2)}`)
      .join(', ')}`,
  );
  const [last] = [...closedAt].sort((a, b) => b[1] - a[1]);
  const events = (await client.workflow.getHandle(last[0]).fetchHistory()).events ?? [];
  const end = protoMs(events.at(-1)!.eventTime);
  for (const e of events.slice(-40)) {
    const name =
      e.activityTaskScheduledEventAttributes?.activityType?.name ??
      (e.markerRecordedEventAttributes ? 'marker' : '');
    console.log(`[trace] ${last[0]} ${protoMs(e.eventTime) - end} ms event ${e.eventType} ${name}`);
  }
}

/** The floor at `perSecond` (see the header): start → the activity's start, p50/p99, and CPU by process. */
async function floor(target: Target, perSecond: number, seconds: number) {
  const taskQueue = `floor-${run}-${perSecond}`;
  const pagedAt = new Map<string, number>();
  const activities: FloorActivities = {
    page: async (workflowId) => void pagedAt.set(workflowId, Date.now()),
  };
  const connection = await NativeConnection.connect({ address: target.address });
  const worker = await Worker.create({
    connection,
    taskQueue,
    workflowsPath: require.resolve('./bench-floor-workflow'),
    activities,
  });
  try {
    return await worker.runUntil(async () => {
      const cpuBefore = cpuSeconds(target.groups());
      const sent = new Map<string, number>();
      await atSteadyRate(perSecond, seconds, async (i) => {
        const workflowId = `${taskQueue}-${i}`;
        sent.set(workflowId, Date.now());
        await target.client.workflow.signalWithStart(floorIncident, {
          workflowId,
          taskQueue,
          signal: floorAlertSignal,
          signalArgs: ['firing'],
        });
      });
      const deadline = Date.now() + 600_000;
      while (pagedAt.size < sent.size && Date.now() < deadline) await sleep(200);
      const latencies = [...sent].map(([id, at]) => (pagedAt.get(id) ?? Infinity) - at);
      return {
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        cpuSeconds: cpuSince(target.groups(), cpuBefore),
      };
    });
  } finally {
    await connection.close();
  }
}

async function burst(target: Target, count: number) {
  const cpuBefore = cpuSeconds(target.groups());
  const started = Date.now();
  const sent = new Map<string, number>();
  await pool(count, 50, async () => {
    const { workflowId, sentAt } = await postIncident(target.intakeUrl);
    sent.set(workflowId, sentAt);
  });
  const acceptedSeconds = (Date.now() - started) / 1000;
  await waitForPages(target, sent, 3_600_000);
  const pages = target.pages.read();
  const allPagedSeconds = (Math.max(...[...sent.keys()].map((id) => pages.get(id)!)) - started) / 1000;
  const cpu = cpuSince(target.groups(), cpuBefore);
  return {
    count,
    startedPerSecond: Number((count / acceptedSeconds).toFixed(1)),
    allPagedSeconds: Number(allPagedSeconds.toFixed(1)),
    pagedPerSecond: Number((count / allPagedSeconds).toFixed(1)),
    cpuSeconds: cpu,
  };
}

async function main() {
  const burstSize = Number(process.argv[2] ?? 1000);
  const workerCounts = (process.argv[3] ?? '1,2,4').split(',').map(Number);
  const open = Number(process.argv[4] ?? 0);
  const log = (line: string) => console.log(`[bench] ${line}`);
  const quiet = () => undefined;
  const rows: string[] = [];
  const servers = (process.env.BENCH_SERVERS ?? 'dev,cluster').split(',');
  const rates = (process.env.BENCH_RATES ?? '10,50').split(',').map(Number);
  const revisions = process.env.BENCH_REVISIONS?.split(',').map(Number) ?? [undefined];
  // Every engine revision on every server with every worker count, each on a fresh cluster.
  const runs = revisions.flatMap((revision) =>
    (['dev server', 'cluster'] as const)
      .filter((s) => servers.includes(s.split(' ')[0]))
      .flatMap((server) => workerCounts.map((workers) => ({ revision, server, workers }))),
  );
  for (const { revision, server, workers } of runs) {
    const on = revision === undefined ? '' : `, revision ${revision}`;
    log(`${server}${on}, ${workers} worker(s): starting...`);
    const target = await startTarget(server, workers, quiet, revision);
    try {
      await sleep(3000); // the workers' first polls
      const result: Record<string, unknown> = { server, workers, ...(revision ? { revision } : {}) };
      if (workers === 2) {
        // First, while nothing else is open: the floor measures the server alone.
        if (process.env.BENCH_FLOOR === '1')
          for (const rate of rates) {
            const f = await floor(target, rate, 20);
            result[`floorAt${rate}PerSecond`] = {
              p50ms: Math.round(f.p50),
              p99ms: Math.round(f.p99),
              cpuSeconds: f.cpuSeconds,
            };
            log(
              `${server}, floor, ${rate} alerts/s: activity started p50 ${Math.round(f.p50)} ms, p99 ${Math.round(f.p99)} ms; CPU s ${JSON.stringify(f.cpuSeconds)} (client = this process and the floor's worker)`,
            );
          }
        for (const rate of rates) {
          const l = await paced(target, rate, 20);
          result[`firstPageAt${rate}PerSecond`] = {
            p50ms: Math.round(l.p50),
            p99ms: Math.round(l.p99),
            maxMs: Math.round(l.max),
            acceptedP50ms: Math.round(l.acceptedP50),
            acceptedP99ms: Math.round(l.acceptedP99),
            cpuSeconds: l.cpuSeconds,
          };
          log(
            `${server}${on}, 2 workers, ${rate} alerts/s: first page p50 ${Math.round(l.p50)} ms, p99 ${Math.round(l.p99)} ms (accepted p50 ${Math.round(l.acceptedP50)} ms, p99 ${Math.round(l.acceptedP99)} ms); CPU s ${JSON.stringify(l.cpuSeconds)}`,
          );
        }
        if (process.env.BENCH_LIFE === '1')
          for (const rate of rates) {
            const life = await wholeLife(target, rate, 20);
            result[`wholeLifeAt${rate}PerSecond`] = life;
            log(`${server}${on}, 2 workers, ${rate} alerts/s, whole lives: ${JSON.stringify(life)}`);
          }
      }
      if (burstSize > 0) {
        const b = await burst(target, burstSize);
        result.burst = b;
        log(`${server}, ${workers} worker(s), burst of ${burstSize}: ${JSON.stringify(b)}`);
      }
      if (workers === 2) {
        const openNow = rates.reduce((sum, r) => sum + r * 20, 0) + burstSize; // the paced phases' and the burst's
        const rss = target.workerPids().reduce((sum, pid) => sum + rssMiB(pid), 0);
        result.workerRssMiBPer1000Open = Number(((rss / openNow) * 1000).toFixed(0));
        if (open > openNow) {
          const more = await burst(target, open - openNow);
          result.open = { incidents: open, ...more };
          const rssOpen = target.workerPids().reduce((sum, pid) => sum + rssMiB(pid), 0);
          result.workerRssMiBAtOpen = Math.round(rssOpen);
          log(
            `${server}: ${open} open incidents: ${JSON.stringify(result.open)}, workers' RSS ${Math.round(rssOpen)} MiB`,
          );
        }
      }
      console.log(`result: ${JSON.stringify(result)}`);
      rows.push(JSON.stringify(result));
    } finally {
      await target.stop();
    }
  }
  console.log('\nAll results:');
  for (const row of rows) console.log(row);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
