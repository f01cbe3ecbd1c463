/**
 * Writing and reading the record. Every write is idempotent: a retried activity or a replayed workflow
 * writes the same keys again, and the store keeps one row (an incident's row takes the newest fields).
 */
import type { IncidentStatusView, PageRecord, TimelineEntry } from '../domain/types';
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

/** Pages (and Slack-only notices of the ladder) under a key per page; a page already stored is left alone. */
export async function recordPages(
  db: Queryable,
  incidentId: string,
  pages: readonly PageRecord[],
): Promise<number> {
  if (!pages.length) return 0;
  const { rows } = await db.query<{ n: number }>(
    `WITH added AS (
       INSERT INTO notifications (incident_id, key, at, channel, level_name, contacts, reason, delivered)
       SELECT $1, key, at, channel, level_name, string_to_array(contacts, E'\\x1f'), reason, delivered
       FROM unnest($2::text[], $3::timestamptz[], $4::text[], $5::text[], $6::text[], $7::text[], $8::boolean[])
         AS p(key, at, channel, level_name, contacts, reason, delivered)
       ON CONFLICT (incident_id, key) DO NOTHING
       RETURNING 1)
     SELECT count(*)::integer AS n FROM added`,
    [
      incidentId,
      // Older runs' pages have no sequence number; their place in the list is as stable.
      pages.map((p, k) => `page-${p.seq ?? k}`),
      pages.map((p) => p.at),
      pages.map((p) => p.channel),
      pages.map((p) => p.levelName),
      pages.map((p) => p.contacts.join('\x1f')),
      pages.map((p) => p.reason),
      pages.map((p) => p.delivered),
    ],
  );
  return rows[0].n;
}

export interface RecordedView {
  /** The incident's row was new to the store. */
  created: boolean;
  timelineAdded: number;
  pagesAdded: number;
}

/**
 * An incident as its workflow shows it, written into the store: its row, the timeline entries the view holds
 * (under their place in the whole timeline: entries moved out to the journal come first), and its pages.
 * Written again, it adds nothing and changes nothing that has not changed.
 */
export async function recordIncidentView(db: Queryable, view: IncidentStatusView): Promise<RecordedView> {
  const existed = await db.query('SELECT 1 FROM incidents WHERE id = $1', [view.incidentId]);
  const last = view.timeline.at(-1)?.at;
  await upsertIncident(db, {
    id: view.incidentId,
    workflowId: view.workflowId,
    service: view.service,
    severity: view.severity,
    scenario: view.scenario,
    summary: view.summary,
    status: view.status,
    createdAt: view.createdAt,
    acknowledgedAt: view.acknowledgedAt,
    acknowledgedBy: view.acknowledgedBy,
    resolvedAt: view.resolvedAt,
    resolvedBy: view.resolvedBy,
    updatedAt: last && last > view.createdAt ? last : view.createdAt,
  });
  return {
    created: existed.rows.length === 0,
    timelineAdded: await appendTimeline(db, view.incidentId, view.timelineJournaled ?? 0, view.timeline),
    pagesAdded: await recordPages(db, view.incidentId, view.paged),
  };
}
