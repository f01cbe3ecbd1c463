/** The audit: who did what, from which surface, when, and the answer they got. */
import type { Queryable } from './sql-client';

export interface AuditEntry {
  actor: string;
  surface: 'cli' | 'api' | 'slack' | 'pagerduty' | 'ui' | 'intake';
  action: string;
  incidentId: string | null;
  answer: string;
  /** A retried request's key: it makes one row. */
  requestKey?: string;
}

export async function recordAudit(db: Queryable, e: AuditEntry): Promise<void> {
  await db.query(
    `INSERT INTO audit (actor, surface, action, incident_id, answer, request_key) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (request_key) DO NOTHING`,
    [e.actor, e.surface, e.action, e.incidentId, e.answer, e.requestKey ?? null],
  );
}

/** An incident's audit, oldest first. */
export async function auditOf(db: Queryable, incidentId: string): Promise<(AuditEntry & { at: string })[]> {
  const { rows } = await db.query<{
    at: Date;
    actor: string;
    surface: AuditEntry['surface'];
    action: string;
    incident_id: string | null;
    answer: string;
  }>(
    'SELECT at, actor, surface, action, incident_id, answer FROM audit WHERE incident_id = $1 ORDER BY at, id',
    [incidentId],
  );
  return rows.map((r) => ({
    at: new Date(r.at).toISOString(),
    actor: r.actor,
    surface: r.surface,
    action: r.action,
    incidentId: r.incident_id,
    answer: r.answer,
  }));
}
