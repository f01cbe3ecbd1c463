/**
 * Retention: closed incidents (resolved or cancelled) whose last change is older than the cutoff go, with
 * everything recorded of them, in one transaction. Open incidents stay whatever their age.
 */
import type { SqlClient } from './sql-client';

/** Removes what is past retention; answers how many incidents went. */
export async function purgeClosedBefore(db: SqlClient, cutoff: string): Promise<number> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<{ id: string }>(
      `DELETE FROM incidents WHERE status IN ('resolved', 'cancelled') AND updated_at < $1 RETURNING id`,
      [cutoff],
    );
    const ids = rows.map((r) => r.id);
    if (ids.length)
      for (const table of ['timeline_events', 'notifications', 'reviews', 'action_items', 'audit'])
        await tx.query(`DELETE FROM ${table} WHERE incident_id = ANY($1::text[])`, [ids]);
    return ids.length;
  });
}
