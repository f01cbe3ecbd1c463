/**
 * The pager's own pager. An incident whose workflow tasks keep failing (a bug, a spin cut by the loop's
 * budget, a non-deterministic deploy) pages nobody, and Temporal retries it for ever in silence; one that was
 * terminated while still open stopped paging without a word. Both are found here, from Temporal's own
 * records, and the on-call is told through the normal paging path.
 */
import { Context } from '@temporalio/activity';
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { Gauge } from 'prom-client';
import { workflowUiLink, type RunbooksConfig } from '../config';
import type {
  DeliveryResult,
  FindStuckArgs,
  IncidentActivities,
  SlackThreadRef,
  StuckRun,
  WatchdogActivities,
} from './contract';
import { activityLogger } from './log';
import { workerMetrics } from './metrics';
import { onCallOverrides } from './oncall';
import { toIncidentPolicy } from './policy';
import { levelReachedAt, levelSchedules } from '../domain/policy';
import type { Override } from '../domain/oncall';
import type { IncidentInput, Severity } from '../domain/types';

const stuckGauge = new Gauge({
  name: 'durable_runbooks_stuck_incidents',
  help: 'Incidents whose workflow tasks keep failing, found by the last watchdog scan this worker ran',
  registers: [workerMetrics],
});
// The scan runs on whichever worker takes its activity: a worker's count is current only while its scan is
// recent, which the rules check (deploy/prometheus), or a count left by an old scan would alert for ever.
const scannedGauge = new Gauge({
  name: 'durable_runbooks_watchdog_scan_timestamp_seconds',
  help: "When this worker last ran the watchdog's scan (Unix seconds)",
  registers: [workerMetrics],
});

const OPEN_STATUSES = new Set(['triggered', 'acknowledged', 'mitigating', 'monitoring']);
/** A scan reads at most this many open incidents: beyond it, the rest wait for the next scan. */
const SCAN_LIMIT = 2000;

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** What a report needs beyond the scan's find, read from the run's history. */
interface Incident {
  incidentId: string;
  service: string;
  severity: Severity;
  /** What went wrong, as Temporal recorded it (the task's failure, or who terminated it and why). */
  why: string;
  thread: SlackThreadRef | null;
  /** Who the incident paged last: they hold it, or were about to. */
  lastPagedContactIds: string[];
}

function whyOf(run: StuckRun, events: HistoryEvent[]): string {
  if (run.kind === 'stuck') {
    const failed = [...events].reverse().find((e) => e.workflowTaskFailedEventAttributes);
    const cause = failed?.workflowTaskFailedEventAttributes?.failure?.message;
    return `its workflow task failed ${(run.attempt ?? 1) - 1} times${cause ? `: ${cause.slice(0, 300)}` : ' (timed out)'}`;
  }
  const t = events.at(-1)?.workflowExecutionTerminatedEventAttributes;
  return `terminated while ${run.status ?? 'open'} by ${t?.identity || 'unknown'}${t?.reason ? ` (${t.reason.slice(0, 300)})` : ''}`;
}

export function createWatchdogActivities(
  config: RunbooksConfig,
  notify: Pick<IncidentActivities, 'pageContacts' | 'postThreadMessage'>,
): WatchdogActivities {
  async function history(workflowId: string, runId: string): Promise<HistoryEvent[]> {
    const { client, info } = Context.current();
    const events: HistoryEvent[] = [];
    let nextPageToken: Uint8Array | undefined;
    do {
      const page = await client.workflowService.getWorkflowExecutionHistory({
        namespace: info.workflowNamespace,
        execution: { workflowId, runId },
        nextPageToken,
      });
      events.push(...(page.history?.events ?? []));
      nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
    } while (nextPageToken);
    return events;
  }

  /** What the run's own history says of the incident: its input, thread, last page, and what went wrong. */
  async function incidentOf(run: StuckRun): Promise<Incident> {
    const { workflowId, runId } = run;
    const events = await history(workflowId, runId);
    const started = events[0]?.workflowExecutionStartedEventAttributes;
    const payload = started?.input?.payloads?.[0];
    const input = (payload ? defaultPayloadConverter.fromPayload(payload) : {}) as Partial<IncidentInput>;
    const carried = input.carried as
      | { incidentId?: string; thread?: SlackThreadRef | null; paged?: { contactIds?: string[] }[] }
      | undefined;
    const firstRunId = started?.firstExecutionRunId || runId;
    let thread = carried?.thread ?? null;
    let lastPaged = carried?.paged?.at(-1)?.contactIds ?? [];
    const scheduled = new Map<string, string>();
    for (const event of events) {
      const s = event.activityTaskScheduledEventAttributes;
      if (s) {
        scheduled.set(String(event.eventId), s.activityType?.name ?? '');
        const args = s.input?.payloads?.[0];
        if (s.activityType?.name === 'pageContacts' && args) {
          const page = defaultPayloadConverter.fromPayload(args) as {
            contactIds?: string[];
            channel?: string;
          };
          if (page.channel === 'page' && Array.isArray(page.contactIds)) lastPaged = page.contactIds;
        }
      }
      const done = event.activityTaskCompletedEventAttributes;
      if (done && scheduled.get(String(done.scheduledEventId)) === 'announceIncident') {
        const result = done.result?.payloads?.[0];
        if (result) thread = defaultPayloadConverter.fromPayload(result) as SlackThreadRef | null;
      }
    }
    return {
      incidentId: carried?.incidentId ?? `${workflowId}-${firstRunId.slice(0, 8)}`,
      service: typeof input.service === 'string' ? input.service : 'unknown',
      severity: input.severity === 'P2' || input.severity === 'P3' ? input.severity : 'P1',
      why: whyOf(run, events),
      thread,
      lastPagedContactIds: lastPaged.filter((c): c is string => typeof c === 'string'),
    };
  }

  return {
    async findStuckIncidents(args: FindStuckArgs): Promise<StuckRun[]> {
      const { client, info } = Context.current();
      const found: StuckRun[] = [];
      const open = `WorkflowType = 'incidentWorkflow' AND TaskQueue = '${args.taskQueue}'`;
      let scanned = 0;
      for await (const wf of client.workflow.list({ query: `${open} AND ExecutionStatus = 'Running'` })) {
        if (++scanned > SCAN_LIMIT) break;
        Context.current().heartbeat(scanned);
        const described = await client.workflowService.describeWorkflowExecution({
          namespace: info.workflowNamespace,
          execution: { workflowId: wf.workflowId, runId: wf.runId },
        });
        const attempt = described.pendingWorkflowTask?.attempt ?? 0;
        if (attempt >= args.failedAttempts)
          found.push({ kind: 'stuck', workflowId: wf.workflowId, runId: wf.runId, attempt });
      }
      stuckGauge.set(found.length);
      scannedGauge.set(Date.now() / 1000);
      const ended = `${open} AND ExecutionStatus = 'Terminated' AND CloseTime >= '${args.terminatedSince}'`;
      for await (const wf of client.workflow.list({ query: ended })) {
        const last = wf.searchAttributes?.IncidentStatus?.[0];
        const status = typeof last === 'string' ? last : null;
        // A run terminated before its first status was written was open too.
        if (status === null || OPEN_STATUSES.has(status))
          found.push({ kind: 'terminated', workflowId: wf.workflowId, runId: wf.runId, status });
      }
      return found;
    },

    /** Pages the service's on-call and whoever the incident paged last, and tells the incident's thread. */
    async reportStuckIncident(run: StuckRun): Promise<DeliveryResult> {
      const item = { ...run, ...(await incidentOf(run)) };
      const link = workflowUiLink(
        config,
        Context.current().info.workflowNamespace ?? 'default',
        item.workflowId,
      );
      const again = item.reportNumber ? ` (reminder ${item.reportNumber - 1}: still stuck)` : '';
      const what =
        item.kind === 'stuck'
          ? `incident ${item.incidentId} is stuck${again} (${item.why}): it pages nobody now. Page by hand, see ${link}`
          : `incident ${item.incidentId} was ${item.why}: it pages nobody now. Page by hand if it is not over, see ${link}`;
      const log = activityLogger(item.incidentId).child({
        stuckWorkflowId: item.workflowId,
        stuckRunId: item.runId,
      });
      log.error({ kind: item.kind }, what);
      const first = toIncidentPolicy(config, item.service).ladder[0];
      const overrides = new Map<string, Override[]>();
      for (const schedule of first ? levelSchedules(first) : [])
        overrides.set(schedule, await onCallOverrides({ schedule }).catch(() => []));
      const onCall = first ? levelReachedAt(first, Date.now(), (s) => overrides.get(s) ?? []).contactIds : [];
      const contactIds = [...new Set([...onCall, ...item.lastPagedContactIds])];
      const page = await notify.pageContacts({
        incidentId: item.incidentId,
        workflowId: item.workflowId,
        service: item.service,
        severity: item.severity,
        summary: what,
        levelName: 'on-call (watchdog)',
        contactIds,
        channel: 'page',
        reason: item.why,
        thread: item.thread,
        dedupKey: `${item.incidentId}/watchdog-${item.kind}-${item.runId}${item.reportNumber ? `-${item.reportNumber}` : ''}`,
      });
      if (item.thread)
        await notify
          .postThreadMessage({
            incidentId: item.incidentId,
            thread: item.thread,
            text: `:rotating_light: ${what}`,
          })
          .catch((err: Error) => log.warn(`the incident's thread was not told: ${err.message}`));
      return page;
    },
  };
}
