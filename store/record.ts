/**
 * Writing and reading the record. Every write is idempotent: a retried activity or a replayed workflow
 * writes the same keys again, and the store keeps one row (an incident's row takes the newest fields).
 */
import type { TimelineEntry } from '../domain/types';
import type { Queryable } from './sql-client';

export interface IncidentRecord {
  id: string;
  workflowId: string;
  service: string;
  severity: string;
  scenario: string;
  summary: string;
  status: string;
  createdAt: string;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  resolvedAt: string | null;
  resolvedBy: string | null;
  /** When these fields were true: an older write arriving late never overwrites a newer one. */
  updatedAt: string;
}

export async function upsertIncident(db: Queryable, i: IncidentRecord): Promise<void> {
  await db.query(
    `INSERT INTO incidents (id, workflow_id, service, severity, scenario, summary, status, created_at,
       acknowledged_at, acknowledged_by, resolved_at, resolved_by, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
     ON CONFLICT (id) DO UPDATE SET
       severity = EXCLUDED.severity, summary = EXCLUDED.summary, status = EXCLUDED.status,
       acknowledged_at = EXCLUDED.acknowledged_at, acknowledged_by = EXCLUDED.acknowledged_by,
       resolved_at = EXCLUDED.resolved_at, resolved_by = EXCLUDED.resolved_by, updated_at = EXCLUDED.updated_at
     WHERE incidents.updated_at <= EXCLUDED.updated_at`,
    [
      i.id,
      i.workflowId,
      i.service,
      i.severity,
      i.scenario,
      i.summary,
      i.status,
      i.createdAt,
      i.acknowledgedAt,
      i.acknowledgedBy,
      i.resolvedAt,
      i.resolvedBy,
      i.updatedAt,
    ],
  );
}

/** Timeline entries numbered from `firstSeq`; entries already stored under their number are left alone. */
export async function appendTimeline(
  db: Queryable,
  incidentId: string,
  firstSeq: number,
  entries: readonly TimelineEntry[],
): Promise<number> {
  if (!entries.length) return 0;
  const { rows } = await db.query<{ n: number }>(
    `WITH added AS (
       INSERT INTO timeline_events (incident_id, seq, at, type, message, actor)
       SELECT $1, seq, at, type, message, actor
       FROM unnest($2::integer[], $3::timestamptz[], $4::text[], $5::text[], $6::text[]) AS e(seq, at, type, message, actor)
       ON CONFLICT (incident_id, seq) DO NOTHING
       RETURNING 1)
     SELECT count(*)::integer AS n FROM added`,
    [
      incidentId,
      entries.map((_, k) => firstSeq + k),
      entries.map((e) => e.at),
      entries.map((e) => e.type),
      entries.map((e) => e.message),
      entries.map((e) => e.actor ?? null),
    ],
  );
  return rows[0].n;
}

/** The whole timeline of an incident, in order. */
export async function timelineOf(db: Queryable, incidentId: string): Promise<TimelineEntry[]> {
  const { rows } = await db.query<{
    at: Date;
    type: TimelineEntry['type'];
    message: string;
    actor: string | null;
  }>('SELECT at, type, message, actor FROM timeline_events WHERE incident_id = $1 ORDER BY seq', [
    incidentId,
  ]);
  return rows.map((r) => ({
    at: new Date(r.at).toISOString(),
    type: r.type,
    message: r.message,
    ...(r.actor !== null ? { actor: r.actor } : {}),
  }));
}
