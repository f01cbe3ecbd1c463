/**
 * Revision 4: the incident writes itself to the system of record, in a lane of its own as Slack has. Every
 * timeline entry and every page joins the lane's queue when it is recorded; the loop hands the queue to one
 * write at a time and never waits for it, so a slow or dead store delays no page. The pure half: what the
 * lane holds, what a write carries, what its answer changes. (The call is `effects.recordIncident`.)
 */
import type { RecordIncidentArgs } from '../../activities/contract';
import type { IncidentRecord } from '../../domain/types';
import { iso, type IncidentState } from './state';
import { revisionAtLeast } from './transitions';

/** Entries one write carries at most (a storm's timeline goes in several). */
export const STORE_BATCH = 100;
/**
 * How long an entry may wait for the ones after it: an incident records several in its first seconds, and
 * one write for them costs a fraction of one write each (each is an activity and a workflow task). A full
 * batch, or a closing incident (its review waits for the store), writes at once.
 */
export const STORE_DELAY_MS = 5000;

/** On revision 4, opens the lane with what the incident recorded before its policy said so. */
export function openStoreLane(state: IncidentState): void {
  if (!revisionAtLeast(state, 4) || state.storeLane) return;
  state.storeLane = {
    queue: [...state.timeline],
    next: 0,
    total: state.timeline.length,
    pages: state.paged.flatMap((p) => (p.seq === undefined ? [] : [p.seq])),
    busy: false,
    lost: 0,
    failing: false,
  };
}

/** Something is waiting for the store, or being written to it. */
export function storeUnwritten(state: IncidentState): boolean {
  const lane = state.storeLane;
  return !!lane && (lane.busy || lane.queue.length > 0 || lane.pages.length > 0);
}

/**
 * Revision 5: where the worker running the incident holds the store, the loop makes the write itself, as a
 * local activity, once it has nothing else to do. It then costs a marker in a workflow task the incident has
 * anyway, where a write by the lane costs an activity's dispatch and a workflow task for its answer
 * (docs/benchmarks.md). Only then, because a workflow task with a local activity pending is not completed
 * until it ends: a page issued beside it would wait for the store. A write that fails there (a worker that
 * holds no store, a store slower than the local activity's timeout) goes by the lane, and so do the
 * incident's writes for this long after it.
 */
export const STORE_HERE_OFF_MS = 10 * 60_000;

/** Revision 5, and no write failed where the loop runs lately. */
export function writesHere(state: IncidentState, now: number): boolean {
  const lane = state.storeLane;
  return !!lane && revisionAtLeast(state, 5) && (lane.hereOffUntil ?? 0) <= now;
}

/** Revision 5: a write is owed, and the loop may make it where it runs (when it has nothing else to do). */
export function storeHereDue(state: IncidentState, now: number): boolean {
  return writesHere(state, now) && !state.storeLane!.busy && storeUnwritten(state);
}

/** Revision 5: a write failed where the loop runs; the lane takes it, and the next ones for a while. */
export function storeHereFailed(state: IncidentState, now: number): void {
  state.storeLane!.hereOffUntil = now + STORE_HERE_OFF_MS;
}

/**
 * When the lane's next write is due (at once: 0), or null while it is busy, has nothing to write, or
 * (revision 5) the loop writes where it runs.
 */
export function storeDueAt(state: IncidentState, now: number): number | null {
  const lane = state.storeLane;
  if (!lane || lane.busy || !storeUnwritten(state) || writesHere(state, now)) return null;
  if (state.closing || lane.queue.length >= STORE_BATCH || !lane.queue.length) return 0;
  return Date.parse(lane.queue[0].at) + STORE_DELAY_MS;
}

/** The lane is free and a write is due. */
export function storeDue(state: IncidentState, now: number): boolean {
  const at = storeDueAt(state, now);
  return at !== null && at <= now;
}

/** The incident's row as it stands. */
export function incidentRecord(state: IncidentState): IncidentRecord {
  return {
    id: state.incidentId,
    workflowId: state.workflowId,
    service: state.input.service,
    severity: state.input.severity,
    scenario: state.input.scenario,
    summary: state.input.summary,
    status: state.status,
    createdAt: iso(state.createdAt)!,
    acknowledgedAt: iso(state.acknowledgedAt),
    acknowledgedBy: state.acknowledgedBy,
    resolvedAt: iso(state.resolvedAt),
    resolvedBy: state.resolvedBy,
    team: state.policy?.team ?? null,
    ...(state.roles ? { roles: state.roles } : {}),
    updatedAt: state.timeline.at(-1)?.at ?? iso(state.createdAt)!,
  };
}

/** Takes the next write off the lane (the caller marks it busy and starts it). */
export function takeStoreWrite(state: IncidentState): RecordIncidentArgs {
  const lane = state.storeLane!;
  const firstSeq = lane.next;
  const entries = lane.queue.splice(0, STORE_BATCH);
  lane.next += entries.length;
  const seqs = new Set(lane.pages.splice(0, lane.pages.length));
  const pages = state.paged.filter((p) => p.seq !== undefined && seqs.has(p.seq));
  return { incident: incidentRecord(state), firstSeq, entries, pages };
}

/**
 * A write that failed past its retries: its entries are lost to the store (the review still has the
 * workflow's own), and the first failure of a run of them is said, quietly, in the timeline.
 */
export function storeWriteFailed(state: IncidentState, write: RecordIncidentArgs): string | null {
  const lane = state.storeLane!;
  lane.lost += write.entries.length;
  if (lane.failing) return null;
  lane.failing = true;
  return `the system of record could not be written: ${write.entries.length} timeline entries are missing from it (more may follow until it answers)`;
}

export function storeWritten(state: IncidentState): void {
  state.storeLane!.failing = false;
}
