/**
 * One watchdog per task queue: it scans for incidents that page nobody because their workflow is stuck or
 * was terminated while open, and reports each to the on-call (the activity pages and tells the thread): a
 * termination once, a stuck incident again every `remindEveryMs` while it stays stuck, and anew if it
 * recovers and sticks again.
 */
import { continueAsNew, proxyActivities, sleep, workflowInfo } from '@temporalio/workflow';
import type { StuckRun, WatchdogActivities } from '../activities/contract';

const { findStuckIncidents } = proxyActivities<WatchdogActivities>({
  startToCloseTimeout: '5m',
  heartbeatTimeout: '1m',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 3 },
});
const { reportStuckIncident } = proxyActivities<WatchdogActivities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 10 },
});

export interface WatchdogInput {
  /** The incidents' task queue (the watchdog's own by default). */
  taskQueue?: string;
  everyMs: number;
  failedAttempts: number;
  /** A stuck incident still stuck this long after its last report is reported again (absent: never). */
  remindEveryMs?: number;
  /** Carried over continue-as-new: what was reported (key, when, how many times), and since when terminations count. */
  reported?: Array<[string, number, number]>;
  terminatedSince?: string;
}

export const WATCHDOG_WORKFLOW_ID = 'durable-runbooks-watchdog';
const SCANS_PER_RUN = 200;
const REMEMBERED = 1000;
/** How late a closed run may appear in Temporal's list (visibility is eventually consistent). */
const VISIBILITY_LAG_MS = 5 * 60_000;

const keyOf = (s: StuckRun) => `${s.kind}:${s.workflowId}:${s.runId}`;

export async function incidentWatchdogWorkflow(input: WatchdogInput): Promise<never> {
  const taskQueue = input.taskQueue ?? workflowInfo().taskQueue;
  let reported = new Map((input.reported ?? []).map(([key, at, times]) => [key, { at, times }]));
  // Terminations before the watchdog first ran are history; after that, each scan looks back to the last
  // one (less Temporal's visibility lag), so none is missed while the watchdog was down, and none repeats.
  let terminatedSince = input.terminatedSince ?? new Date(Date.now()).toISOString();
  for (let scan = 0; scan < SCANS_PER_RUN; scan++) {
    const scanAt = Date.now();
    const found = await findStuckIncidents({
      taskQueue,
      failedAttempts: input.failedAttempts,
      terminatedSince,
    }).catch(() => null);
    if (found === null) {
      // Temporal's list could not be read: the next scan tries again, forgetting nothing.
      await sleep(input.everyMs);
      continue;
    }
    const now = new Set(found.map(keyOf));
    for (const item of found) {
      const last = reported.get(keyOf(item));
      // A stuck incident that stays stuck is reported again every remindEveryMs; a termination once.
      const remind =
        !!last && item.kind === 'stuck' && !!input.remindEveryMs && scanAt - last.at >= input.remindEveryMs;
      if (last && !remind) continue;
      const times = (last?.times ?? 0) + 1;
      // Reported or not (Temporal retried it), the next scans do not repeat it before the reminder is due.
      await reportStuckIncident({ ...item, ...(times > 1 ? { reportNumber: times } : {}) }).catch(
        () => undefined,
      );
      reported.set(keyOf(item), { at: scanAt, times });
    }
    // A recovered incident leaves the set, so a relapse is reported; a termination leaves it once the
    // scans look past it.
    reported = new Map([...reported].filter(([k]) => now.has(k)));
    const lookBack = new Date(scanAt - VISIBILITY_LAG_MS).toISOString();
    if (lookBack > terminatedSince) terminatedSince = lookBack;
    await sleep(input.everyMs);
  }
  return continueAsNew<typeof incidentWatchdogWorkflow>({
    ...input,
    taskQueue,
    reported: [...reported].slice(-REMEMBERED).map(([key, { at, times }]) => [key, at, times]),
    terminatedSince,
  });
}
