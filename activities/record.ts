/**
 * The system of record's activities (engine revision 4), run by the process that holds the store: an
 * incident's writes, and its review built from every entry stored. Idempotent like the store's writes, so a
 * retried activity or a replayed workflow stores nothing twice.
 */
import { journalInsertPoint, reviewMarkdown } from '../domain/render';
import { numberedEntries } from '../domain/timeline';
import type { TimelineEntry } from '../domain/types';
import {
  appendTimeline,
  numberedTimeline,
  recordPages,
  saveReview,
  upsertIncident,
  type SqlClient,
} from '../store';
import type {
  RecordActivities,
  RecordHereActivities,
  RecordIncidentArgs,
  RecordWritten,
  StoredReview,
  StoredReviewArgs,
} from './contract';
import { observeResponseTimes } from './metrics';
import { writeReview } from './review';

/** One write of an incident's record, in one transaction. */
function recordIncident(db: SqlClient, { incident, firstSeq, entries, pages }: RecordIncidentArgs) {
  return db.transaction(async (tx): Promise<RecordWritten> => {
    await upsertIncident(tx, incident);
    return {
      timelineAdded: await appendTimeline(tx, incident.id, firstSeq, entries),
      pagesWritten: await recordPages(tx, incident.id, pages),
    };
  });
}

/**
 * Revision 5's write and review where the incident's workflow task runs: in the worker's store, or null from a
 * worker that holds none (no fault, so not thrown: `npm start`'s workers leave the embedded store to the API).
 */
export function createRecordHereActivities(db: SqlClient | undefined, baseDir: string): RecordHereActivities {
  return {
    recordIncidentHere: async (write) => (db ? recordIncident(db, write) : null),
    writeStoredReviewHere: async (args) => (db ? writeStoredReview(db, baseDir, args) : null),
  };
}

export function createRecordActivities(db: SqlClient, baseDir: string): RecordActivities {
  return {
    recordIncident: (write) => recordIncident(db, write),
    writeStoredReview: (args) => writeStoredReview(db, baseDir, args),
  };
}

/** The review from every entry stored, the workflow's own filling any gap: in the store and on disk. */
async function writeStoredReview(
  db: SqlClient,
  baseDir: string,
  { view, directory, responseTimes }: StoredReviewArgs,
): Promise<StoredReview> {
  // Every entry the store holds, and the workflow's own for any it lacks (a write still failing).
  const bySeq = new Map<number, TimelineEntry>(await numberedTimeline(db, view.incidentId));
  for (const [seq, entry] of numberedEntries(view)) if (!bySeq.has(seq)) bySeq.set(seq, entry);
  const timeline = [...bySeq.keys()].sort((a, b) => a - b).map((seq) => bySeq.get(seq)!);
  const missing = Math.max(0, (view.timelineTotal ?? timeline.length) - timeline.length);
  let markdown = reviewMarkdown({ ...view, timeline });
  if (missing) {
    const cut = journalInsertPoint(view);
    markdown = markdown.replace(
      cut,
      `${cut}- _${missing} entries were never stored (the store did not answer)_\n`,
    );
  }
  // The store first: it is the record, and a review directory that cannot be written must not cost it.
  await saveReview(db, {
    incidentId: view.incidentId,
    markdown,
    whatHappened: view.summary,
    why: null,
    detection: timeline[0]?.message ?? null,
    resolution: view.resolutionSummary,
    prevention: null,
    writtenAt: new Date().toISOString(),
  });
  const written = await writeReview(baseDir, { incidentId: view.incidentId, directory, markdown });
  observeResponseTimes(responseTimes);
  return { path: written.path, entries: timeline.length, missing };
}
