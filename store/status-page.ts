/**
 * The status page's record: responders' updates per incident, and their overrides of a service's state.
 * Nothing here is written from an alert: an update has an author, a person.
 */
import type { ServiceHealth, StatusUpdate, StatusUpdateStatus } from '../domain/status-page';
import type { Queryable } from './sql-client';

interface UpdateRow {
  id: string | number;
  incident_id: string;
  service: string;
  title: string;
  status: StatusUpdateStatus;
  message: string;
  impact: string | null;
  eta: string | null;
  next_update_at: Date | string | null;
  author: string;
  published_at: Date | string;
}

const iso = (v: Date | string) => new Date(v).toISOString();
const COLUMNS =
  'id, incident_id, service, title, status, message, impact, eta, next_update_at, author, published_at';

function updateOf(r: UpdateRow): StatusUpdate {
  return {
    id: Number(r.id),
    incidentId: r.incident_id,
    service: r.service,
    title: r.title,
    status: r.status,
    message: r.message,
    impact: r.impact,
    eta: r.eta,
    nextUpdateAt: r.next_update_at === null ? null : iso(r.next_update_at),
    author: r.author,
    publishedAt: iso(r.published_at),
  };
}

/**
 * Publishes an update; a retried request (same key) publishes it once and answers the first, with
 * `first: false` (so that nothing is sent on again).
 */
export async function publishStatusUpdate(
  db: Queryable,
  u: Omit<StatusUpdate, 'id'> & { requestKey?: string },
): Promise<{ update: StatusUpdate; first: boolean }> {
  const { rows } = await db.query<UpdateRow>(
    `INSERT INTO status_updates (incident_id, service, title, status, message, impact, eta, next_update_at,
       author, published_at, request_key)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
     ON CONFLICT (request_key) DO NOTHING RETURNING ${COLUMNS}`,
    [
      u.incidentId,
      u.service,
      u.title,
      u.status,
      u.message,
      u.impact,
      u.eta,
      u.nextUpdateAt,
      u.author,
      u.publishedAt,
      u.requestKey ?? null,
    ],
  );
  if (rows.length) return { update: updateOf(rows[0]), first: true };
  const earlier = await db.query<UpdateRow>(`SELECT ${COLUMNS} FROM status_updates WHERE request_key = $1`, [
    u.requestKey,
  ]);
  return { update: updateOf(earlier.rows[0]), first: false };
}

/** Updates published since `since`, newest first, at most `limit`. */
export async function statusUpdatesSince(db: Queryable, since: string, limit = 500): Promise<StatusUpdate[]> {
  const { rows } = await db.query<UpdateRow>(
    `SELECT ${COLUMNS} FROM status_updates WHERE published_at >= $1 ORDER BY published_at DESC, id DESC LIMIT $2`,
    [since, limit],
  );
  return rows.map(updateOf);
}

export interface ServiceOverride {
  service: string;
  health: ServiceHealth;
  reason: string | null;
  setBy: string;
  setAt: string;
}

/** Sets a responder's word on a service's state, or (health null) gives the state back to the incidents. */
export async function setServiceOverride(
  db: Queryable,
  service: string,
  o: { health: ServiceHealth; reason: string | null; setBy: string; setAt: string } | null,
): Promise<void> {
  if (!o) {
    await db.query('DELETE FROM service_status_overrides WHERE service = $1', [service]);
    return;
  }
  await db.query(
    `INSERT INTO service_status_overrides (service, health, reason, set_by, set_at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (service) DO UPDATE SET health = EXCLUDED.health, reason = EXCLUDED.reason,
       set_by = EXCLUDED.set_by, set_at = EXCLUDED.set_at`,
    [service, o.health, o.reason, o.setBy, o.setAt],
  );
}

export async function serviceOverrides(db: Queryable): Promise<ServiceOverride[]> {
  const { rows } = await db.query<{
    service: string;
    health: ServiceHealth;
    reason: string | null;
    set_by: string;
    set_at: Date | string;
  }>('SELECT service, health, reason, set_by, set_at FROM service_status_overrides ORDER BY service');
  return rows.map((r) => ({
    service: r.service,
    health: r.health,
    reason: r.reason,
    setBy: r.set_by,
    setAt: iso(r.set_at),
  }));
}

/** The incidents that are open (neither resolved nor cancelled) of the given services. */
export async function openIncidentsOf(
  db: Queryable,
  services: string[],
): Promise<{ id: string; service: string; severity: string; status: string; createdAt: string }[]> {
  const { rows } = await db.query<{
    id: string;
    service: string;
    severity: string;
    status: string;
    created_at: Date | string;
  }>(
    `SELECT id, service, severity, status, created_at FROM incidents
     WHERE status NOT IN ('resolved', 'cancelled') AND service = ANY($1::text[]) ORDER BY created_at`,
    [services],
  );
  return rows.map((r) => ({ ...r, createdAt: iso(r.created_at) }));
}

/** The service of a stored incident, and the title of its newest status update; null when not stored. */
export async function statusContextOf(
  db: Queryable,
  incidentId: string,
): Promise<{ service: string; lastTitle: string | null } | null> {
  const { rows } = await db.query<{ service: string; title: string | null }>(
    `SELECT i.service, (SELECT u.title FROM status_updates u WHERE u.incident_id = i.id
       ORDER BY u.published_at DESC, u.id DESC LIMIT 1) AS title
     FROM incidents i WHERE i.id = $1`,
    [incidentId],
  );
  return rows.length ? { service: rows[0].service, lastTitle: rows[0].title } : null;
}

/** An incident whose newest public update promised another by now, and nobody has published it. */
export interface DueReminder {
  updateId: number;
  incidentId: string;
  workflowId: string;
  service: string;
  status: string;
  nextUpdateAt: string;
  publishedAt: string;
  /** The incident's commander (revision 7's role), else who acknowledged it, as the record names them. */
  acknowledgedBy: string | null;
}

/** Open incidents whose newest update's next one is due at `now` and was not reminded yet. */
export async function dueStatusReminders(db: Queryable, now: string, limit = 100): Promise<DueReminder[]> {
  const { rows } = await db.query<{
    id: number;
    incident_id: string;
    workflow_id: string;
    service: string;
    status: string;
    next_update_at: Date;
    published_at: Date;
    acknowledged_by: string | null;
  }>(
    `SELECT n.id, n.incident_id, i.workflow_id, n.service, n.status, n.next_update_at, n.published_at,
       COALESCE(i.roles->>'commander', i.acknowledged_by) AS acknowledged_by
     FROM (SELECT DISTINCT ON (incident_id) * FROM status_updates
           ORDER BY incident_id, published_at DESC, id DESC) n
     JOIN incidents i ON i.id = n.incident_id
     WHERE n.status <> 'resolved' AND n.reminded_at IS NULL AND n.next_update_at <= $1
       AND i.status NOT IN ('resolved', 'cancelled')
     ORDER BY n.next_update_at LIMIT $2`,
    [now, limit],
  );
  return rows.map((r) => ({
    updateId: Number(r.id),
    incidentId: r.incident_id,
    workflowId: r.workflow_id,
    service: r.service,
    status: r.status,
    nextUpdateAt: new Date(r.next_update_at).toISOString(),
    publishedAt: new Date(r.published_at).toISOString(),
    acknowledgedBy: r.acknowledged_by,
  }));
}

/** Takes the reminder of that update for this process: false when another one took it first. */
export async function claimReminder(db: Queryable, updateId: number): Promise<boolean> {
  const { rows } = await db.query(
    'UPDATE status_updates SET reminded_at = now() WHERE id = $1 AND reminded_at IS NULL RETURNING id',
    [updateId],
  );
  return rows.length === 1;
}

/** Gives a reminder back (it could not be delivered): the next sweep tries again. */
export async function releaseReminder(db: Queryable, updateId: number): Promise<void> {
  await db.query('UPDATE status_updates SET reminded_at = NULL WHERE id = $1', [updateId]);
}
