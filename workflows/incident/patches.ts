/**
 * The incident workflow's patch ids, and the one question the workflow asks about them: `hasPatch(id)`.
 *
 * Every `patched()` a new run calls costs it a marker event and a `TemporalChangeVersion` search-attribute
 * upsert (the SDK adds one per patch id, and each is a visibility write on the server): four of them before
 * and around an incident's first page. A new run therefore asks one question, `RELEASE_BASELINE`, first of
 * all; a run that has its marker takes every patch in its set, and none is asked again. Runs recorded
 * before the baseline lack its marker and ask each patch as they always did, so their histories replay
 * unchanged. A patch added after the baseline is asked on its own, and joins the set at the next baseline.
 */
import { patched } from '@temporalio/workflow';

/** The state machine replaced `workflows/legacy/incident-v1.ts` (see index.ts). */
export const STATE_MACHINE_PATCH = 'incident-state-machine';
export const RUNBOOK_FOLLOWS_SEVERITY = 'runbook-follows-severity';
export const CLOSE_STOPS_RUNBOOK = 'close-stops-runbook';
export const TIMELINE_JOURNAL = 'timeline-journal';
export const POLICY_LOCAL_ACTIVITY = 'policy-local-activity';
export const MAINTENANCE_WINDOWS = 'maintenance-windows';
/** The Slack lane on its own paced task queue; one timer kept per deadline. */
export const PAGES_FIRST = 'pages-first';

/** Runbook children on their own task queue (asked after the baseline, when a runbook starts). */
export const RUNBOOK_QUEUE = 'runbooks-own-queue';

/** One marker for every patch above: the code a run takes when it starts on this release or later. */
export const RELEASE_BASELINE = 'incident-baseline-2026-11';

/**
 * Newest first. A later baseline is put in front with every patch of its time; runs recorded under an
 * earlier one meet that one's marker and keep its set.
 */
const BASELINES: ReadonlyArray<{ id: string; patches: ReadonlySet<string> }> = [
  {
    id: RELEASE_BASELINE,
    patches: new Set([
      STATE_MACHINE_PATCH,
      RUNBOOK_FOLLOWS_SEVERITY,
      CLOSE_STOPS_RUNBOOK,
      TIMELINE_JOURNAL,
      POLICY_LOCAL_ACTIVITY,
      MAINTENANCE_WINDOWS,
      PAGES_FIRST,
    ]),
  },
];

// Module state is per run: the SDK gives each workflow its own globals.
let baseline: ReadonlySet<string> | undefined;

export function hasPatch(id: string): boolean {
  // The baseline is asked at the run's first question (the state machine's, before any command), so a
  // replay meets its marker exactly where the run recorded it; the answer holds for the rest of the run.
  baseline ??= BASELINES.find((b) => patched(b.id))?.patches ?? new Set();
  return baseline.has(id) || patched(id);
}
