/**
 * Brings a database to the newest schema: the migrations not yet recorded in `schema_migrations` run in
 * order, each in one transaction with its record. An advisory lock makes two processes starting at once
 * (two workers, a worker and the API) take turns instead of racing the same CREATE TABLE.
 */
import { MIGRATIONS, type Migration } from './migrations';
import type { SqlClient } from './sql-client';

/** Any constant of our own: the lock every migrating process of this store takes. */
const MIGRATION_LOCK = 0x64_72_72_62; // "drrb"

export async function migrate(
  db: SqlClient,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<string[]> {
  const applied: string[] = [];
  await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await tx.exec(
      'CREATE TABLE IF NOT EXISTS schema_migrations (id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    );
  });
  for (const m of migrations) {
    const ran = await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      const done = await tx.query('SELECT 1 FROM schema_migrations WHERE id = $1', [m.id]);
      if (done.rows.length) return false;
      await tx.exec(m.sql);
      await tx.query('INSERT INTO schema_migrations (id) VALUES ($1)', [m.id]);
      return true;
    });
    if (ran) applied.push(m.id);
  }
  return applied;
}
