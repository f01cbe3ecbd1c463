/**
 * Reading the record: incidents newest first with filters and a cursor (keyset pagination, so page 500 costs
 * what page 1 does), and response times (MTTA, MTTR) per service and severity over a period.
 */
import type { IncidentRoles, TimelineEntry } from '../domain/types';
import { timelineOf, type IncidentRecord } from './record';
import { RESPONSE_AGGREGATES, responseFields, type AggregateRow } from './reports';
import type { Queryable } from './sql-client';

export interface IncidentFilter {
  status?: string;
  service?: string;
  severity?: string;
  team?: string;
  /** Created at or after (ISO time). */
  since?: string;
  limit: number;
  /** From the previous page's `nextCursor`. */
  cursor?: string;
}

export interface IncidentListRow {
  id: string;
  service: string;
  team: string | null;
  severity: string;
  status: string;
  summary: string;
  createdAt: string;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  /** Everyone a page went to, in the order first paged. */
  paged: string[];
}

export class BadCursor extends Error {}

const encodeCursor = (createdAt: string, id: string) =>
  Buffer.from(JSON.stringify([createdAt, id])).toString('base64url');

function decodeCursor(cursor: string): [string, string] {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'string'))
      if (!Number.isNaN(Date.parse(value[0]))) return value as [string, string];
  } catch {
    /* not ours */
  }
  throw new BadCursor('cursor: not one this server gave');
}

export async function listIncidents(
  db: Queryable,
  f: IncidentFilter,
): Promise<{ incidents: IncidentListRow[]; nextCursor: string | null }> {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    where.push(sql.replace('?', `$${params.length}`));
  };
  if (f.status) add('status = ?', f.status);
  if (f.service) add('service = ?', f.service);
  if (f.severity) add('severity = ?', f.severity);
  if (f.team) add('team = ?', f.team);
  if (f.since) add('created_at >= ?', f.since);
  if (f.cursor) {
    const [createdAt, id] = decodeCursor(f.cursor);
    params.push(createdAt, id);
    where.push(`(created_at, id) < ($${params.length - 1}::timestamptz, $${params.length})`);
  }
  params.push(f.limit + 1);
  const { rows } = await db.query<{
    id: string;
    service: string;
    team: string | null;
    severity: string;
    status: string;
    summary: string;
    created_at: Date;
    acknowledged_at: Date | null;
    acknowledged_by: string | null;
    paged: string[] | null;
  }>(
    `SELECT id, service, team, severity, status, summary, created_at, acknowledged_at, acknowledged_by,
       (SELECT array_agg(contact ORDER BY first_at) FROM (
          SELECT c AS contact, min(n.at) AS first_at FROM notifications n, unnest(n.contacts) c
          WHERE n.incident_id = incidents.id AND n.channel = 'page' GROUP BY c) p) AS paged
     FROM incidents
     ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY created_at DESC, id DESC LIMIT $${params.length}`,
    params,
  );
  const page = rows.slice(0, f.limit).map((r) => ({
    id: r.id,
    service: r.service,
    team: r.team,
    severity: r.severity,
    status: r.status,
    summary: r.summary,
    createdAt: new Date(r.created_at).toISOString(),
    acknowledgedAt: r.acknowledged_at ? new Date(r.acknowledged_at).toISOString() : null,
    acknowledgedBy: r.acknowledged_by,
    paged: r.paged ?? [],
  }));
  const last = page.at(-1);
  return {
    incidents: page,
    nextCursor: rows.length > f.limit && last ? encodeCursor(last.createdAt, last.id) : null,
  };
}

export interface ResponseTimes {
  service: string;
  severity: string;
  incidents: number;
  acknowledged: number;
  resolved: number;
  /** Mean seconds from opening to acknowledgement, of those acknowledged; null when none was. */
  mttaSeconds: number | null;
  mttrSeconds: number | null;
}

/** MTTA and MTTR per service and severity, of the incidents created since `since`. */
export async function responseTimes(db: Queryable, since: string): Promise<ResponseTimes[]> {
  const { rows } = await db.query<AggregateRow & { service: string; severity: string }>(
    `SELECT service, severity, ${RESPONSE_AGGREGATES}
     FROM incidents WHERE created_at >= $1
     GROUP BY service, severity ORDER BY service, severity`,
    [since],
  );
  return rows.map((r) => ({ service: r.service, severity: r.severity, ...responseFields(r) }));
}

export interface NotificationRow {
  key: string;
  at: string;
  channel: string;
  levelName: string | null;
  contacts: string[];
  reason: string | null;
  delivered: boolean;
  detail: string | null;
}

/** An incident's row with its whole timeline and every notification. */
export interface IncidentDetail extends IncidentRecord {
  timeline: TimelineEntry[];
  notifications: NotificationRow[];
}

/** A timestamp column as the API shows it (null stays null). */
export const iso = (d: Date | null) => (d === null ? null : new Date(d).toISOString());

/** The workflow id of an incident the store holds, or null. */
export async function storedWorkflowId(db: Queryable, id: string): Promise<string | null> {
  const { rows } = await db.query<{ workflow_id: string }>(
    'SELECT workflow_id FROM incidents WHERE id = $1',
    [id],
  );
  return rows[0]?.workflow_id ?? null;
}

/** One incident with its whole timeline and every notification, or null when the store has none by that id. */
export async function incidentDetail(db: Queryable, id: string): Promise<IncidentDetail | null> {
  const { rows } = await db.query<{
    id: string;
    workflow_id: string;
    service: string;
    team: string | null;
    severity: string;
    scenario: string;
    summary: string;
    status: string;
    created_at: Date;
    acknowledged_at: Date | null;
    acknowledged_by: string | null;
    resolved_at: Date | null;
    resolved_by: string | null;
    updated_at: Date;
    roles: IncidentRoles | string | null;
  }>('SELECT * FROM incidents WHERE id = $1', [id]);
  const r = rows[0];
  if (!r) return null;
  const sent = await db.query<{
    key: string;
    at: Date;
    channel: string;
    level_name: string | null;
    contacts: string[];
    reason: string | null;
    delivered: boolean;
    detail: string | null;
  }>(
    'SELECT key, at, channel, level_name, contacts, reason, delivered, detail FROM notifications WHERE incident_id = $1 ORDER BY at, key',
    [id],
  );
  return {
    id: r.id,
    workflowId: r.workflow_id,
    service: r.service,
    team: r.team,
    severity: r.severity,
    scenario: r.scenario,
    summary: r.summary,
    status: r.status,
    createdAt: iso(r.created_at)!,
    acknowledgedAt: iso(r.acknowledged_at),
    acknowledgedBy: r.acknowledged_by,
    resolvedAt: iso(r.resolved_at),
    resolvedBy: r.resolved_by,
    updatedAt: iso(r.updated_at)!,
    roles: typeof r.roles === 'string' ? (JSON.parse(r.roles) as IncidentRoles) : r.roles,
    timeline: await timelineOf(db, id),
    notifications: sent.rows.map((n) => ({
      key: n.key,
      at: iso(n.at)!,
      channel: n.channel,
      levelName: n.level_name,
      contacts: n.contacts,
      reason: n.reason,
      delivered: n.delivered,
      detail: n.detail,
    })),
  };
}

/**
 * A value that changes whenever the record does (an incident opened or changed, a timeline entry, a
 * notification, a public update), for the console's live view to poll cheaply and tell its browsers.
 */
export async function recordChangeMark(db: Queryable): Promise<string> {
  const { rows } = await db.query<{ mark: string }>(
    `SELECT concat_ws(':', (SELECT count(*) FROM incidents), (SELECT max(updated_at) FROM incidents),
       (SELECT count(*) FROM timeline_events), (SELECT count(*) FROM notifications),
       (SELECT count(*) FROM status_updates)) AS mark`,
  );
  return rows[0].mark;
}
