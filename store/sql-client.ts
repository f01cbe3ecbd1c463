/**
 * The store's one way to PostgreSQL: a real server when `DATABASE_URL` is set (node-postgres pool), else
 * PGlite (PostgreSQL 18 compiled to WASM) in a directory of its own, so `npm start` and the tests need
 * nothing installed. The same SQL and the same migrations run on both.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Pool, type PoolClient } from 'pg';

export interface Queryable {
  /** One statement, with `$1`-style parameters. */
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<{ rows: T[] }>;
  /** Several statements without parameters (a migration). */
  exec(sql: string): Promise<void>;
}

export interface SqlClient extends Queryable {
  readonly engine: 'pglite' | 'postgres';
  /** Runs `fn` in one transaction: committed when it returns, rolled back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export type StoreLocation = { databaseUrl: string } | { dataDir: string };

export async function openSqlClient(where: StoreLocation): Promise<SqlClient> {
  return 'databaseUrl' in where ? postgresClient(where.databaseUrl) : pgliteClient(where.dataDir);
}

function postgresClient(databaseUrl: string): SqlClient {
  const pool = new Pool({ connectionString: databaseUrl, max: 4, connectionTimeoutMillis: 10_000 });
  // An idle client's error (the server restarted) must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  const over = (c: Pool | PoolClient): Queryable => ({
    query: async <T>(text: string, params?: unknown[]) => ({
      rows: (await c.query(text, params)).rows as T[],
    }),
    exec: async (sql) => void (await c.query(sql)),
  });
  return {
    engine: 'postgres',
    ...over(pool),
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn(over(client));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

/**
 * PGlite is one process's: a second one opening the same directory would corrupt it. A lock file naming the
 * holder's pid (`<dir>.lock`) keeps the second out; a lock whose process is gone is taken over.
 */
function lockDirectory(dataDir: string): () => void {
  // Beside the directory, not in it: PostgreSQL's initdb wants an empty one.
  const file = `${path.resolve(dataDir)}.lock`;
  for (let tries = 0; tries < 2; tries++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      return () => rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(readFileSync(file, 'utf8'));
      if (holder && processAlive(holder))
        throw new Error(
          `the embedded store in ${dataDir} is held by process ${holder} (durable-runbooks api, or npm start): stop it first, or set DATABASE_URL to a PostgreSQL that several processes can share`,
        );
      rmSync(file, { force: true });
    }
  }
  throw new Error(`the embedded store in ${dataDir} could not be locked`);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function pgliteClient(dataDir: string): Promise<SqlClient> {
  mkdirSync(dataDir, { recursive: true });
  const unlock = lockDirectory(dataDir);
  const { PGlite } = await import('@electric-sql/pglite');
  const db = await PGlite.create(dataDir).catch((err: Error) => {
    unlock();
    throw err;
  });
  type Tx = Pick<typeof db, 'query' | 'exec'>;
  const over = (c: Tx): Queryable => ({
    query: async <T>(text: string, params?: unknown[]) => ({ rows: (await c.query<T>(text, params)).rows }),
    exec: async (sql) => void (await c.exec(sql)),
  });
  return {
    engine: 'pglite',
    ...over(db),
    transaction: (fn) => db.transaction((tx) => fn(over(tx))),
    close: () => db.close().finally(unlock),
  };
}
