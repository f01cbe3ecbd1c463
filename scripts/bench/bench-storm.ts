/**
 * `npm run bench:storm -- [posts] [groups]`: an alert storm against the intake and a dev server: 10,000
 * Alertmanager posts over 100 group keys, 50 in flight. Prints accepted/s, p50/p99, incidents created
 * (must equal the groups), alerts lost (must be 0), and the raw signalWithStart rate on the same server.
 */
import type { AddressInfo } from 'node:net';
import axios from 'axios';
import { loadConfig } from '../../config';
import { incidentWorkflowId } from '../../intake/incident-id';
import { openOrSignalIncident } from '../../intake/open-incident';
import { buildIntakeServer } from '../../intake/server';
import { benchTemporal, percentile, pool } from './bench-support';
import { withoutIntakeLimits } from '../testbed/config';

async function main() {
  const posts = Number(process.argv[2] ?? 10_000);
  const groups = Number(process.argv[3] ?? 100);
  const concurrency = 50;
  const run = Date.now().toString(36);
  const taskQueue = `storm-${run}`; // no worker: the benchmark measures intake and server, not runbooks
  const temporal = await benchTemporal();
  const app = await buildIntakeServer({
    client: temporal.client,
    config: withoutIntakeLimits(loadConfig()),
    taskQueue,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/alerts/alertmanager`;
  const http = axios.create({ validateStatus: () => true });
  try {
    const body = (i: number) => {
      const group = i % groups;
      return {
        version: '4',
        groupKey: `storm-${run}-${group}`,
        status: 'firing',
        receiver: 'bench',
        commonLabels: { alertname: 'HighMemoryUsage', service: `svc-${group}`, severity: 'warning' },
        alerts: [
          {
            status: 'firing',
            labels: { alertname: 'HighMemoryUsage', service: `svc-${group}`, severity: 'warning' },
            annotations: { summary: `post ${i}` },
            fingerprint: `fp-${i}`,
          },
        ],
      };
    };
    const statuses = new Map<number, number>();
    const created = new Set<string>();
    let t = performance.now();
    const latencies = await pool(posts, concurrency, async (i) => {
      const res = await http.post(url, body(i));
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (res.status === 202 && res.data.incidents[0]?.deduplicated === false)
        created.add(res.data.incidents[0].workflowId);
    });
    const intakeSeconds = (performance.now() - t) / 1000;
    const accepted = statuses.get(202) ?? 0;

    // Count what reached the workflows: every accepted post must be an `alert` signal in some history.
    let signals = 0;
    for (let g = 0; g < groups; g++) {
      const events =
        (
          await temporal.client.workflow
            .getHandle(incidentWorkflowId(`alertmanager:storm-${run}-${g}`))
            .fetchHistory()
        ).events ?? [];
      signals += events.filter(
        (e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'alert',
      ).length;
    }

    t = performance.now();
    const rawLatencies = await pool(posts, concurrency, async (i) => {
      await openOrSignalIncident(
        temporal.client,
        {
          dedupKey: `raw-${run}-${i % groups}`,
          service: 'raw',
          scenario: 'health',
          severity: 'P2',
          summary: `raw ${i}`,
          security: false,
          alerts: [],
        },
        { taskQueue },
      );
    });
    const rawSeconds = (performance.now() - t) / 1000;
    const intakeRate = accepted / intakeSeconds;
    const rawRate = posts / rawSeconds;
    console.log(
      [
        `intake:    ${posts} posts over ${groups} group keys, ${concurrency} in flight, ${intakeSeconds.toFixed(1)} s`,
        `accepted:  ${accepted} (${intakeRate.toFixed(0)}/s), other statuses: ${JSON.stringify(Object.fromEntries([...statuses].filter(([s]) => s !== 202)))}`,
        `latency:   p50 ${percentile(latencies, 50).toFixed(0)} ms, p99 ${percentile(latencies, 99).toFixed(0)} ms`,
        `incidents: ${created.size} created (expected ${groups})`,
        `lost:      ${accepted - signals} alerts (accepted ${accepted}, alert signals in histories ${signals})`,
        `raw:       ${posts} signalWithStart in ${rawSeconds.toFixed(1)} s (${rawRate.toFixed(0)}/s, p50 ${percentile(rawLatencies, 50).toFixed(0)} ms, p99 ${percentile(rawLatencies, 99).toFixed(0)} ms)`,
        `ratio:     intake / raw = ${((intakeRate / rawRate) * 100).toFixed(0)} % (target ≥ 80 %)`,
      ].join('\n'),
    );
  } finally {
    await app.close();
    await temporal.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
