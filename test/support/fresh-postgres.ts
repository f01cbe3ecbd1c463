import { Client as PgClient } from 'pg';
import { openStore, type SqlClient, type StoreLocation } from '../../store';
import { serviceValue } from '../../scripts/testbed/services';

/** A fresh database on the test PostgreSQL, so each run migrates (or fills) an empty one. */
export async function freshPostgres(prefix = 'store'): Promise<StoreLocation> {
  const admin = new PgClient({ connectionString: serviceValue('postgres') });
  await admin.connect();
  const name = `${prefix}_${Date.now()}_${Math.random().toString(16).slice(2, 8)}`;
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serviceValue('postgres'));
  url.pathname = `/${name}`;
  return { databaseUrl: url.toString() };
}

/**
 * The store a test's workers hold, on a fresh database: incidents on engine revision 5 (the default) record
 * themselves there, as in every shipped topology. Without one their writes wait on a lane nobody polls (on
 * the time-skipping server, a run ended with that work in flight stops time skipping for good).
 */
export async function freshStore(prefix: string): Promise<SqlClient> {
  return openStore(await freshPostgres(prefix));
}
