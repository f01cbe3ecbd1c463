/**
 * `npm run bench:incidents -- [count]` prints two things about the incident engine:
 *
 * 1. Alert → first page, on a dev server with ONE worker process: `count` (default 300) Alertmanager posts
 *    for distinct groups go to the intake, 20 in flight; for each incident, the time from sending its post to
 *    the completion of its first page activity (from the workflow's history). p50/p99/max, and the
 *    worker's RSS with them all open.
 * 2. One incident over a simulated week of resends, on the time-skipping server: an HA pair of
 *    Alertmanagers resends a 20-alert group every 5 minutes (a post every 150 s), one new alert an hour, a
 *    responder re-acknowledges whenever the incident alerts again. The intake's resend filter decides
 *    what is signalled, as in production. Prints posts, signals, runs, and events in total and per run.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import axios from 'axios';
import type { Client } from '@temporalio/client';
import { loadConfig } from '../../config';
import { buildIntakeServer } from '../../intake/server';
import { EventType, completedActivities, protoMs, type HistoryEvent } from '../testbed/history';
import { testConfig, withoutIntakeLimits } from '../testbed/config';
import { createTestWorker, createTimeSkippingEnv, tempDir } from '../testbed/temporal';
import { acknowledgeUpdate, statusQuery } from '../../domain/messages';
import type { SourceAlert } from '../../domain/types';
import { benchTemporal, percentile, pool, rssMiB, sleep, useProvisionedTestServer } from './bench-support';
import { killGroup } from '../testbed/local-services';

const ROOT = path.resolve(__dirname, '..', '..');

/** When the first page activity of a run completed (ms), from its history; null when it has not yet. */
async function firstPageCompletedAt(client: Client, workflowId: string): Promise<number | null> {
  const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const [done] = completedActivities(events, 'pageContacts');
  return done ? protoMs(done.eventTime) : null;
}

async function alertToFirstPage(count: number) {
  const run = Date.now().toString(36);
  const taskQueue = `bench-${run}`;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-incidents-'));
  const configFile = path.join(dir, 'config.json');
  // The shipped configuration, with the journal (pages without PagerDuty keys) in a scratch directory.
  const raw = JSON.parse(readFileSync(path.join(ROOT, 'config', 'durable-runbooks.json'), 'utf8'));
  writeFileSync(configFile, JSON.stringify({ ...raw, journal: { file: path.join(dir, 'journal.jsonl') } }));
  const temporal = await benchTemporal();
  const worker = spawn(process.execPath, ['-r', 'tsx/cjs', path.join(ROOT, 'workers', 'main.ts')], {
    cwd: ROOT,
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_TASK_QUEUE: taskQueue,
      RUNBOOKS_CONFIG: configFile,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
    detached: true,
  });
  process.env.RUNBOOKS_CONFIG = configFile;
  const app = await buildIntakeServer({
    client: temporal.client,
    config: withoutIntakeLimits(loadConfig()),
    taskQueue,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/alerts/alertmanager`;
  const http = axios.create({ validateStatus: () => true });
  try {
    await sleep(8000); // bundle + first poll, so the first incidents do not measure the worker's start
    const idle = rssMiB(worker.pid!);
    let seq = 0;
    /** Posts `total` alerts for distinct groups, `inFlight` at a time; answers each one's alert → page ms. */
    const round = async (total: number, inFlight: number): Promise<number[]> => {
      const sent = new Map<string, number>();
      await pool(total, inFlight, async () => {
        const i = seq++;
        const at = Date.now();
        const res = await http.post(url, {
          version: '4',
          groupKey: `bench-${run}-${i}`,
          status: 'firing',
          receiver: 'bench',
          commonLabels: { alertname: 'ServiceDown', service: 'checkout', severity: 'critical' },
          alerts: [
            {
              status: 'firing',
              labels: { alertname: 'ServiceDown', service: 'checkout', severity: 'critical' },
              annotations: { summary: `bench incident ${i}` },
              fingerprint: `fp-${run}-${i}`,
            },
          ],
        });
        if (res.status !== 202) throw new Error(`intake answered ${res.status}: ${JSON.stringify(res.data)}`);
        const workflowId = res.data.incidents[0].workflowId;
        sent.set(workflowId, at);
        // One at a time: wait for this page before the next alert, so nothing queues behind it.
        if (inFlight === 1)
          while ((await firstPageCompletedAt(temporal.client, workflowId)) === null) await sleep(20);
      });
      const latencies: number[] = [];
      const deadline = Date.now() + 300_000;
      for (const [workflowId, at] of sent) {
        let pagedAt: number | null = null;
        while ((pagedAt = await firstPageCompletedAt(temporal.client, workflowId)) === null) {
          if (Date.now() > deadline) throw new Error(`${workflowId} has not paged after 5 minutes`);
          await sleep(500);
        }
        latencies.push(pagedAt - at);
      }
      return latencies;
    };
    const stats = (l: number[]) =>
      `p50 ${percentile(l, 50).toFixed(0)} ms, p99 ${percentile(l, 99).toFixed(0)} ms, max ${Math.max(...l).toFixed(0)} ms`;
    const alone = await round(30, 1);
    const burst = await round(count, 20);
    const loaded = rssMiB(worker.pid!);
    const list = temporal.client.workflow.list({
      query: `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'`,
    });
    for await (const w of list)
      await temporal.client.workflow.getHandle(w.workflowId).terminate('benchmark finished');
    return [
      'alert → first page delivered (P1 via the intake; one worker; dev server on this machine):',
      `  one at a time (30 alerts):  ${stats(alone)}`,
      `  a burst of ${count}, 20 in flight: ${stats(burst)}`,
      `  worker RSS ${idle.toFixed(0)} MiB idle, ${loaded.toFixed(0)} MiB with ${seq} open`,
    ];
  } finally {
    await app.close();
    await killGroup(worker);
    await temporal.close();
  }
}

async function simulatedWeek() {
  const POST_EVERY_MS = 150_000; // group_interval 5 m, two Alertmanagers
  const WEEK_MS = 7 * 24 * 3600_000;
  const config = withoutIntakeLimits(testConfig());
  useProvisionedTestServer();
  const env = await createTimeSkippingEnv();
  const taskQueue = 'bench-week';
  const worker = await createTestWorker({
    connection: env.nativeConnection,
    config,
    taskQueue,
    baseDir: tempDir(),
  });
  const alert = (i: number): SourceAlert => ({
    fingerprint: `pod-${i}`,
    status: 'firing',
    summary: `checkout-${i} answers 5xx`,
    labels: { alertname: 'HighErrorRate', pod: `checkout-${i}` },
    source: 'alertmanager',
  });
  let posts = 0;
  let signals = 0;
  let acks = 0;
  const started = performance.now();
  // The real intake, on the simulated clock, answering through Fastify's injection (no sockets).
  let clock = 0;
  const intake = await buildIntakeServer({ client: env.client, config, taskQueue, now: () => clock });
  const post = (alerts: SourceAlert[]) => ({
    version: '4',
    groupKey: 'bench-week',
    status: 'firing',
    receiver: 'bench',
    commonLabels: { alertname: 'HighErrorRate', service: 'checkout', severity: 'warning' },
    commonAnnotations: { summary: 'checkout error rate above 5% for a week' },
    alerts: alerts.map((a) => ({
      status: 'firing',
      labels: { ...a.labels, service: 'checkout', severity: 'warning' },
      annotations: { summary: a.summary },
      fingerprint: a.fingerprint,
    })),
  });
  const result = await worker.runUntil(async () => {
    const alerts = Array.from({ length: 20 }, (_, i) => alert(i));
    let workflowId = '';
    let firstRunId = '';
    for (let t = 0; t <= WEEK_MS; t += POST_EVERY_MS) {
      if (t > 0) await env.sleep(POST_EVERY_MS);
      clock = t;
      if (t > 0 && t % 3600_000 === 0) alerts.push(alert(alerts.length)); // a new pod fails every hour
      // Once an hour the responder looks, and acknowledges again if it alerts again.
      if (workflowId && t % 3600_000 === 600_000) {
        const handle = env.client.workflow.getHandle(workflowId);
        if ((await handle.query(statusQuery)).status === 'triggered') {
          await handle.executeUpdate(acknowledgeUpdate, { args: [{ by: 'alice' }] });
          acks += 1;
        }
      }
      posts += 1;
      const res = await intake.inject({ method: 'POST', url: '/alerts/alertmanager', payload: post(alerts) });
      if (res.statusCode !== 202) throw new Error(`intake answered ${res.statusCode}: ${res.body}`);
      const answer = res.json().incidents[0];
      if (!answer.resend) signals += 1;
      workflowId = answer.workflowId;
      firstRunId ||= answer.runId;
    }
    // Every run of the incident, following the continue-as-new chain from the first.
    const runs: { events: number; signals: number }[] = [];
    for (let runId: string | undefined = firstRunId; runId;) {
      const events: HistoryEvent[] =
        (await env.client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];
      runs.push({
        events: events.length,
        signals: events.filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED)
          .length,
      });
      runId =
        events[events.length - 1]?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ??
        undefined;
    }
    const view = await env.client.workflow.getHandle(workflowId).query(statusQuery);
    await env.client.workflow.getHandle(workflowId).terminate('benchmark finished');
    return { runs, view };
  });
  await intake.close();
  await env.teardown();
  const { runs, view } = result;
  const total = runs.reduce((n, r) => n + r.events, 0);
  return [
    `one incident over a simulated week (${((performance.now() - started) / 1000).toFixed(0)} s to simulate):`,
    `  ${posts} Alertmanager posts (every 150 s), ${view.alertCounts?.known ?? '?'} distinct alerts, ${signals} reached the workflow (resend window ${config.intake.resendWindow / 1000} s; each carries only the alerts it was not told), ${acks} re-acknowledgements`,
    `  ${runs.length} runs (continue-as-new at ${config.history.continueAsNewAfterEvents} events): ${total} events in total, ${Math.round(total / 7)} a day`,
    `  per run: at most ${Math.max(...runs.map((r) => r.events))} events and ${Math.max(...runs.map((r) => r.signals))} signals (Temporal's limits: 51,200 and 10,000)`,
    `  status query ${(Buffer.byteLength(JSON.stringify(view)) / 1024).toFixed(0)} KiB, timeline ${view.timeline.length} kept + ${view.timelineJournaled ?? 0} in the journal`,
  ];
}

async function main() {
  const count = Number(process.argv[2] ?? 300);
  const lines = [...(await alertToFirstPage(count)), ...(await simulatedWeek())];
  console.log(lines.join('\n'));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
