/**
 * Temporal's per-run limits (10,000 signals, 51,200 events, 50 MB) against what Alertmanager really does
 * to a long incident: a group that grows to hundreds of alerts and is resent every group_interval for
 * days. One incident, every post answered 2xx, commands still answered, every run far below the limits.
 */
import { pool } from '../../scripts/bench/bench-support';
import { acknowledgeUpdate, statusQuery } from '../../domain/messages';
import { testConfig, withoutIntakeLimits } from '../../scripts/testbed/config';
import { startDevWorker, type DevWorker } from '../support/dev-server';
import { eventually } from '../../scripts/testbed/eventually';
import { EventType } from '../../scripts/testbed/history';
import { startIntake, type RunningIntake } from '../support/intake';
import { describeWith } from '../../scripts/testbed/services';

const TOKEN = 'long-incident-token-0123456789';
const DISTINCT_ALERTS = 500;
const RESENDS = 20_000;
// Alertmanager's webhook `max_alerts`: each post carries the newest alerts of the group, the rest counted.
const MAX_ALERTS = 20;

describeWith(['temporal'], 'a long incident under Alertmanager resends (dev server)', () => {
  let dev: DevWorker;
  let intake: RunningIntake;
  // 20,500 posts from one process on purpose: the rate limit and load shedding would answer most of them.
  const config = withoutIntakeLimits(
    testConfig({
      // Low, so the test sees several runs (the default is 5,000 events).
      history: { continueAsNewAfterEvents: 300 },
      // Short, so some resends do reach the workflow during the test (as they would over days).
      intake: { resendWindow: '2s' },
    }),
  );

  beforeAll(async () => {
    dev = await startDevWorker(config);
    intake = await startIntake({ client: dev.client, config, taskQueue: dev.taskQueue, token: TOKEN });
  });
  afterAll(async () => {
    await intake?.close();
    await dev?.close();
  });

  test(`${DISTINCT_ALERTS} distinct alerts, then ${RESENDS} resends 50 in flight: one incident, bounded runs, ack still works`, async () => {
    const groupKey = `{}/{service="checkout"}:{alertname="HighErrorRate"}-${Date.now()}`;
    const alert = (i: number) => ({
      status: 'firing',
      labels: { alertname: 'HighErrorRate', service: 'checkout', severity: 'critical', pod: `checkout-${i}` },
      annotations: { summary: `checkout-${i} answers 5xx` },
      startsAt: '2026-11-26T12:00:00Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://127.0.0.1:9090/graph',
      fingerprint: `fp${i.toString(16).padStart(8, '0')}`,
    });
    const post = (newest: number) => {
      const first = Math.max(0, newest - MAX_ALERTS + 1);
      return {
        version: '4',
        groupKey,
        truncatedAlerts: first,
        status: 'firing',
        receiver: 'durable-runbooks',
        groupLabels: { alertname: 'HighErrorRate' },
        commonLabels: { alertname: 'HighErrorRate', service: 'checkout', severity: 'critical' },
        commonAnnotations: { summary: 'checkout error rate above 5%' },
        externalURL: 'http://127.0.0.1:9093',
        alerts: Array.from({ length: newest - first + 1 }, (_, k) => alert(first + k)),
      };
    };
    const statuses = new Map<number, number>();
    const workflowIds = new Set<string>();
    const send = async (body: unknown) => {
      const res = await intake.post('/alerts/alertmanager', body);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      for (const i of res.data?.incidents ?? []) workflowIds.add(i.workflowId);
    };

    // The group grows one alert at a time, 10 posts in flight.
    await pool(DISTINCT_ALERTS, 10, (i) => send(post(i)));
    // Then it is resent, as Alertmanager (an HA pair) does every group_interval for as long as it fires.
    const last = post(DISTINCT_ALERTS - 1);
    await pool(RESENDS, 50, () => send(last));

    expect([...statuses.entries()]).toEqual([[202, DISTINCT_ALERTS + RESENDS]]);
    expect([...workflowIds]).toHaveLength(1);
    const [workflowId] = workflowIds;
    const handle = dev.client.workflow.getHandle(workflowId);

    const view = await eventually(async () => {
      const v = await handle.query(statusQuery);
      expect(v.alertCounts?.known).toBe(DISTINCT_ALERTS);
      return v;
    }, 60_000);
    expect(Buffer.byteLength(JSON.stringify(view))).toBeLessThan(1024 * 1024);
    expect(view.alertCounts?.firing).toBe(DISTINCT_ALERTS);

    // A person can still act on it, and learns the answer.
    const acked = await handle.executeUpdate(acknowledgeUpdate, { args: [{ by: 'alice' }] });
    expect(acked.status).toBe('acknowledged');

    // Every run of the incident: far below the limits, and no workflow task ever timed out.
    // Visibility lists the runs a moment after they close: wait until it lists every one.
    const runs = await eventually(async () => {
      const found: { runId: string; events: number; timeouts: number; failures: string[] }[] = [];
      for await (const execution of dev.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
        const history = await dev.client.workflow.getHandle(workflowId, execution.runId).fetchHistory();
        const events = history.events ?? [];
        found.push({
          runId: execution.runId,
          events: events.length,
          timeouts: events.filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT).length,
          failures: events
            .map((e) => e.workflowTaskFailedEventAttributes?.cause)
            .filter((c): c is NonNullable<typeof c> => c !== undefined && c !== null)
            .map(String),
        });
      }
      const latest = await handle.query(statusQuery);
      expect(found).toHaveLength((latest.run ?? 0) + 1);
      return found;
    });
    expect(runs.length).toBeGreaterThan(1); // it continued as new
    expect(runs.every((r) => r.events < 10_000)).toBe(true);
    expect(runs.map((r) => r.timeouts)).toEqual(runs.map(() => 0));
    // The only task failures allowed are the benign ones where a signal raced a continue-as-new.
    const UNHANDLED_COMMAND = '1'; // WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND
    expect(runs.flatMap((r) => r.failures).filter((c) => c !== UNHANDLED_COMMAND)).toEqual([]);
    // The identity survives the runs: the id is the first run's.
    expect(runs.some((r) => view.incidentId === `${workflowId}-${r.runId.slice(0, 8)}`)).toBe(true);
    await handle.terminate('test finished');
  });
});
