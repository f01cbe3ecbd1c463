import { Client as PgClient } from 'pg';
import type { StoreLocation } from '../../store/sql-client';
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
