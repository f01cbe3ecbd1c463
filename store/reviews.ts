/**
 * Post-incident reviews in the record: the document and its root-cause fields (what happened, why, how it
 * was detected, resolved, and can be prevented). Written again for the same incident, the newest wins: a
 * retried or replayed write changes nothing, a later one (a reopened incident's) replaces it, except the
 * answers a person wrote (`editReview`), which stay.
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

/** The root-cause fields a person may edit. */
export const REVIEW_FIELDS = ['whatHappened', 'why', 'detection', 'resolution', 'prevention'] as const;
export type ReviewFields = Partial<Record<(typeof REVIEW_FIELDS)[number], string | null>>;
const COLUMN: Record<(typeof REVIEW_FIELDS)[number], string> = {
  whatHappened: 'what_happened',
  why: 'why',
  detection: 'detection',
  resolution: 'resolution',
  prevention: 'prevention',
};

/** The review written at close; a person's answers (`editReview`) are kept when it is written again. */
export async function saveReview(db: Queryable, r: ReviewRecord): Promise<void> {
  await db.query(
    `INSERT INTO reviews (incident_id, markdown, what_happened, why, detection, resolution, prevention, written_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (incident_id) DO UPDATE SET
       markdown = EXCLUDED.markdown, written_at = EXCLUDED.written_at,
       ${REVIEW_FIELDS.map((f) => `${COLUMN[f]} = CASE WHEN reviews.edited_at IS NULL THEN EXCLUDED.${COLUMN[f]} ELSE reviews.${COLUMN[f]} END`).join(',\n       ')}
     WHERE reviews.written_at <= EXCLUDED.written_at`,
    [r.incidentId, r.markdown, r.whatHappened, r.why, r.detection, r.resolution, r.prevention, r.writtenAt],
  );
}

/** A person's edit of the root-cause fields; null when the store holds no review of that incident. */
export async function editReview(
  db: Queryable,
  incidentId: string,
  fields: ReviewFields,
): Promise<ReviewRecord | null> {
  const named = REVIEW_FIELDS.filter((f) => fields[f] !== undefined);
  if (named.length)
    await db.query(
      `UPDATE reviews SET ${named.map((f, k) => `${COLUMN[f]} = $${k + 2}`).join(', ')}, edited_at = now()
       WHERE incident_id = $1`,
      [incidentId, ...named.map((f) => fields[f])],
    );
  return reviewOf(db, incidentId);
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
