/**
 * Gauges of the whole fleet rather than of one process, read from Temporal when `/metrics` is scraped (at
 * most once per `FLEET_CACHE_MS`): open incidents by severity and status, the age of the oldest P1 nobody
 * has acknowledged, and the pollers on the incidents' task queue (none: nobody pages). Every intake replica
 * answers the same values, so dashboards and rules aggregate them with max(), never sum().
 */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { Gauge, type Registry } from 'prom-client';
import { SEVERITIES } from '../domain/types';

/** Open statuses, by the workflow's IncidentStatus search attribute. */
const OPEN = ['suppressed', 'triggered', 'acknowledged', 'mitigating', 'monitoring'] as const;
const FLEET_CACHE_MS = 15_000;
/** The oldest unacknowledged P1 is looked for among this many at most (the list is newest first). */
const UNACKED_SCAN = 1000;

interface FleetReading {
  open: Array<{ severity: string; status: string; count: number }>;
  oldestUnackedP1Seconds: number;
  pollers: { workflow: number; activity: number };
}

const quoted = (s: string) => `'${s.replace(/'/g, "\\'")}'`;

async function readFleet(client: Client, taskQueue: string, now: number): Promise<FleetReading> {
  const base = `WorkflowType = 'incidentWorkflow' AND ExecutionStatus = 'Running' AND TaskQueue = ${quoted(taskQueue)}`;
  const open = await Promise.all(
    SEVERITIES.flatMap((severity) =>
      OPEN.map(async (status) => ({
        severity,
        status,
        count: (
          await client.workflow.count(
            `${base} AND IncidentSeverity = ${quoted(severity)} AND IncidentStatus = ${quoted(status)}`,
          )
        ).count,
      })),
    ),
  );
  let oldest = now;
  let seen = 0;
  for await (const wf of client.workflow.list({
    query: `${base} AND IncidentSeverity = 'P1' AND IncidentStatus = 'triggered'`,
  })) {
    oldest = Math.min(oldest, wf.startTime.getTime());
    if (++seen >= UNACKED_SCAN) break;
  }
  const pollersOf = async (type: temporal.api.enums.v1.TaskQueueType) =>
    (
      await client.workflowService.describeTaskQueue({
        namespace: client.options.namespace,
        taskQueue: { name: taskQueue },
        taskQueueType: type,
      })
    ).pollers?.length ?? 0;
  const { TASK_QUEUE_TYPE_WORKFLOW, TASK_QUEUE_TYPE_ACTIVITY } = temporal.api.enums.v1.TaskQueueType;
  return {
    open,
    oldestUnackedP1Seconds: Math.max(0, (now - oldest) / 1000),
    pollers: {
      workflow: await pollersOf(TASK_QUEUE_TYPE_WORKFLOW),
      activity: await pollersOf(TASK_QUEUE_TYPE_ACTIVITY),
    },
  };
}

export function registerFleetMetrics(
  registry: Registry,
  fleet: { client: Client; taskQueue: string; timeoutMs: number },
): void {
  let cached: { at: number; reading: Promise<FleetReading | null> } | null = null;
  // One read serves every gauge of a scrape (and the scrapes of the next 15 s).
  const reading = () => {
    const now = Date.now();
    if (!cached || now - cached.at >= FLEET_CACHE_MS) {
      const read = fleet.client.connection.withDeadline(now + fleet.timeoutMs, () =>
        readFleet(fleet.client, fleet.taskQueue, now),
      );
      cached = { at: now, reading: read.catch(() => null) };
    }
    return cached.reading;
  };
  const gauge = (
    name: string,
    help: string,
    labelNames: string[],
    set: (g: Gauge, r: FleetReading) => void,
  ) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        this.reset();
        const r = await reading();
        if (r) set(this, r);
      },
    });
  new Gauge({
    name: 'durable_runbooks_fleet_readable',
    help: 'Whether the fleet gauges could be read from Temporal (0: they are absent from this scrape)',
    registers: [registry],
    async collect() {
      this.set((await reading()) ? 1 : 0);
    },
  });
  gauge(
    'durable_runbooks_open_incidents',
    'Open incidents by severity and status (Temporal visibility; aggregate with max across intakes)',
    ['severity', 'status'],
    (g, r) => r.open.forEach((o) => g.set({ severity: o.severity, status: o.status }, o.count)),
  );
  gauge(
    'durable_runbooks_oldest_unacknowledged_p1_seconds',
    'Age of the oldest open P1 nobody has acknowledged (0: none)',
    [],
    (g, r) => g.set(r.oldestUnackedP1Seconds),
  );
  gauge(
    'durable_runbooks_task_queue_pollers',
    "Pollers on the incidents' task queue by type, as Temporal saw them lately (0 workflow pollers: nobody pages)",
    ['type'],
    (g, r) => {
      g.set({ type: 'workflow' }, r.pollers.workflow);
      g.set({ type: 'activity' }, r.pollers.activity);
    },
  );
}
