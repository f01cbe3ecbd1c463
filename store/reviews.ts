/**
 * Post-incident reviews in the record: the document and its root-cause fields (what happened, why, how it
 * was detected, resolved, and can be prevented). Written again for the same incident, the newest wins: a
 * retried or replayed write changes nothing, a later one (a reopened incident's) replaces it.
 */
import type { Queryable } from './sql-client';

export interface ReviewRecord {
  incidentId: string;
  markdown: string;
  whatHappened: string | null;
  why: string | null;
  detection: string | null;
  resolution: string | null;
  prevention: string | null;
  writtenAt: string;
}

export async function saveReview(db: Queryable, r: ReviewRecord): Promise<void> {
  await db.query(
    `INSERT INTO reviews (incident_id, markdown, what_happened, why, detection, resolution, prevention, written_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (incident_id) DO UPDATE SET
       markdown = EXCLUDED.markdown, what_happened = EXCLUDED.what_happened, why = EXCLUDED.why,
       detection = EXCLUDED.detection, resolution = EXCLUDED.resolution, prevention = EXCLUDED.prevention,
       written_at = EXCLUDED.written_at
     WHERE reviews.written_at <= EXCLUDED.written_at`,
    [r.incidentId, r.markdown, r.whatHappened, r.why, r.detection, r.resolution, r.prevention, r.writtenAt],
  );
}

export async function reviewOf(db: Queryable, incidentId: string): Promise<ReviewRecord | null> {
  const { rows } = await db.query<{
    incident_id: string;
    markdown: string;
    what_happened: string | null;
    why: string | null;
    detection: string | null;
    resolution: string | null;
    prevention: string | null;
    written_at: Date;
  }>('SELECT * FROM reviews WHERE incident_id = $1', [incidentId]);
  const r = rows[0];
  return r
    ? {
        incidentId: r.incident_id,
        markdown: r.markdown,
        whatHappened: r.what_happened,
        why: r.why,
        detection: r.detection,
        resolution: r.resolution,
        prevention: r.prevention,
        writtenAt: new Date(r.written_at).toISOString(),
      }
    : null;
}
