/**
 * A benchmark on both store engines: a throwaway PostgreSQL (or the one at DATABASE_URL), then the embedded
 * PGlite, each in a scratch directory removed afterwards.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { StoreLocation } from '../../store/sql-client';
import { startPostgres } from '../testbed/local-services';

export async function onBothEngines(
  name: string,
  measure: (engine: string, where: StoreLocation) => Promise<void>,
): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `${name}-`));
  chmodSync(dir, 0o755); // PostgreSQL runs as its own user, which must enter it
  try {
    if (process.env.DATABASE_URL)
      await measure('PostgreSQL (DATABASE_URL)', { databaseUrl: process.env.DATABASE_URL });
    else {
      const pg = await startPostgres(path.join(dir, 'postgres'));
      try {
        await measure('PostgreSQL', { databaseUrl: pg.url });
      } finally {
        await pg.stop();
      }
    }
    await measure('PGlite', { dataDir: path.join(dir, 'pglite') });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
