/**
 * Writing and reading the record. Every write is idempotent: a retried activity or a replayed workflow
 * writes the same keys again, and the store keeps one row (an incident's row takes the newest fields).
 */
import type { IncidentRecord, IncidentStatusView, PageRecord, TimelineEntry } from '../domain/types';
import { numberedEntries } from '../domain/timeline';
import type { Queryable } from './sql-client';

export type { IncidentRecord };

export async function upsertIncident(db: Queryable, i: IncidentRecord): Promise<void> {
  await db.query(
    `INSERT INTO incidents (id, workflow_id, service, severity, scenario, summary, status, created_at,
       acknowledged_at, acknowledged_by, resolved_at, resolved_by, updated_at, team, roles)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
     ON CONFLICT (id) DO UPDATE SET team = COALESCE(EXCLUDED.team, incidents.team),
       roles = COALESCE(EXCLUDED.roles, incidents.roles),
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
      i.team ?? null,
      i.roles ? JSON.stringify(i.roles) : null,
    ],
  );
}

/** Timeline entries numbered from `firstSeq`; entries already stored under their number are left alone. */
export function appendTimeline(
  db: Queryable,
  incidentId: string,
  firstSeq: number,
  entries: readonly TimelineEntry[],
): Promise<number> {
  return appendNumbered(
    db,
    incidentId,
    entries.map((e, k) => [firstSeq + k, e]),
  );
}

/** Timeline entries under their numbers in the whole timeline; answers how many were new to the store. */
export async function appendNumbered(
  db: Queryable,
  incidentId: string,
  entries: readonly (readonly [number, TimelineEntry])[],
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
      entries.map(([seq]) => seq),
      entries.map(([, e]) => e.at),
      entries.map(([, e]) => e.type),
      entries.map(([, e]) => e.message),
      entries.map(([, e]) => e.actor ?? null),
    ],
  );
  return rows[0].n;
}

/** The whole timeline of an incident, in order. */
export async function timelineOf(db: Queryable, incidentId: string): Promise<TimelineEntry[]> {
  return (await numberedTimeline(db, incidentId)).map(([, entry]) => entry);
}

/** The stored timeline with each entry's number in the whole timeline (a gap is an entry never stored). */
export async function numberedTimeline(
  db: Queryable,
  incidentId: string,
): Promise<[number, TimelineEntry][]> {
  const { rows } = await db.query<{
    seq: number;
    at: Date;
    type: TimelineEntry['type'];
    message: string;
    actor: string | null;
  }>('SELECT seq, at, type, message, actor FROM timeline_events WHERE incident_id = $1 ORDER BY seq', [
    incidentId,
  ]);
  return rows.map((r) => [
    r.seq,
    {
      at: new Date(r.at).toISOString(),
      type: r.type,
      message: r.message,
      ...(r.actor !== null ? { actor: r.actor } : {}),
    },
  ]);
}

/**
 * Pages (and Slack-only notices of the ladder) under a key per page: a page already stored changes only when
 * its delivery does (written when sent, again when its answer came). Answers how many rows were added or changed.
 */
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
       ON CONFLICT (incident_id, key) DO UPDATE SET delivered = EXCLUDED.delivered
         WHERE notifications.delivered <> EXCLUDED.delivered
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
 * (under their numbers in the whole timeline: `numberedEntries`), and its pages.
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
    team: view.team ?? null,
    roles: view.roles ?? null,
  });
  return {
    created: existed.rows.length === 0,
    timelineAdded: await appendNumbered(db, view.incidentId, numberedEntries(view)),
    pagesAdded: await recordPages(db, view.incidentId, view.paged),
  };
}
