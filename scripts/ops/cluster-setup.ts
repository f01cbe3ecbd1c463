/**
 * What `cluster.ts` sets up before the processes start: the binaries (built by provisioning), the databases
 * and their schemas, the namespace, free ports, and the local PostgreSQL's data directory and password.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client as PgClient } from 'pg';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import {
  STORE_DATABASE,
  TEMPORAL_DATABASE,
  VISIBILITY_DATABASE,
  type ClusterDatabase,
} from './cluster-config';
import { postgresCanEnter } from '../testbed/local-services';
import { REPO_ROOT, TOOLS_BIN, registerSearchAttributes } from './temporal-server';

const run = promisify(execFile);
export const NAMESPACE = 'default';
const RETENTION_MS = 7 * 24 * 3600 * 1000;

const BINARIES = ['temporal-server', 'temporal-sql-tool', 'temporal-ui-server'] as const;

/** Builds the server, schema tool and UI server into .tools/bin once (provision.sh shows go's progress). */
export async function ensureClusterBinaries(): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn('bash', [path.join(REPO_ROOT, 'scripts', 'ops', 'provision.sh'), 'cluster'], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error('could not build the Temporal cluster binaries (see above)')),
    );
  });
  for (const name of BINARIES)
    if (!existsSync(path.join(TOOLS_BIN, name))) throw new Error(`${name} is missing from ${TOOLS_BIN}`);
}

export function databaseOf(url: string): ClusterDatabase {
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 5432),
    user: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
  };
}

/**
 * Creates (when missing) and migrates the persistence and visibility databases with the schema tool, and
 * creates the store's database (`store/` migrates it when it is opened). Answers the store's URL.
 */
export async function migrateSchemas(
  database: ClusterDatabase,
  log: (line: string) => void,
): Promise<string> {
  const admin = new PgClient({ ...database, database: 'postgres' });
  await admin.connect();
  let existing: Set<string>;
  try {
    existing = new Set(
      (await admin.query<{ datname: string }>('SELECT datname FROM pg_database')).rows.map((r) => r.datname),
    );
    if (!existing.has(STORE_DATABASE)) {
      log(`creating database ${STORE_DATABASE}...`);
      await admin.query(`CREATE DATABASE ${STORE_DATABASE}`);
    }
  } finally {
    await admin.end();
  }
  const tool = path.join(TOOLS_BIN, 'temporal-sql-tool');
  for (const [db, schema] of [
    [TEMPORAL_DATABASE, 'postgresql/v12/temporal'],
    [VISIBILITY_DATABASE, 'postgresql/v12/visibility'],
  ]) {
    // The password goes by environment, not the command line (where `ps` would show it).
    const base = ['--ep', database.host, '-p', String(database.port), '-u', database.user];
    const env = { ...process.env, SQL_PASSWORD: database.password };
    const sql = (args: string[]) => run(tool, [...base, '--pl', 'postgres12', '--db', db, ...args], { env });
    if (!existing.has(db)) {
      log(`creating database ${db}...`);
      await sql(['create-database']);
      await sql(['setup-schema', '-v', '0.0']);
    }
    await sql(['update-schema', '--schema-name', schema]);
  }
  return databaseUrl(database, STORE_DATABASE);
}

/** A URL for `name` on `database`'s server (it holds the password: hand it on by environment, never log it). */
export function databaseUrl(database: ClusterDatabase, name: string): string {
  const url = new URL('postgres://localhost');
  url.hostname = database.host;
  url.port = String(database.port);
  url.username = database.user;
  url.password = database.password;
  url.pathname = `/${name}`;
  return url.toString();
}

/** The namespace the worker and intake use; a new server has none. Waits until the frontend serves it. */
export async function ensureNamespace(address: string): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    try {
      await connection.workflowService.registerNamespace({
        namespace: NAMESPACE,
        workflowExecutionRetentionPeriod: msToTs(RETENTION_MS),
      });
    } catch (err) {
      if (!/already exists/i.test((err as Error).message)) throw err;
    }
    // The frontend learns of new namespaces from its cache, refreshed every few seconds.
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        await connection.workflowService.countWorkflowExecutions({ namespace: NAMESPACE });
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    await registerSearchAttributes(connection, NAMESPACE);
  } finally {
    await connection.close();
  }
}

export async function httpOk(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000), headers: { host: '127.0.0.1' } });
    return res.ok;
  } catch {
    return false;
  }
}

/** True once `file` has a line matching `pattern` written after now (logs are appended across runs). */
export function loggedLine(file: string, pattern: RegExp): () => Promise<boolean> {
  const from = existsSync(file) ? statSync(file).size : 0;
  return async () => existsSync(file) && pattern.test(readFileSync(file).subarray(from).toString('utf8'));
}

/** `count` distinct ports in [20000, below) that can be bound now, other than `taken`. */
export async function freePortsBelow(below: number, count: number, taken: number[]): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) {
    const port = 20_000 + Math.floor(Math.random() * (below - 20_000));
    if (taken.includes(port) || ports.includes(port)) continue;
    if (await canBind(port)) ports.push(port);
  }
  return ports;
}

export function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * Where the local PostgreSQL keeps its data: in the state directory, unless we are root and the `postgres`
 * user cannot reach it (a checkout under /root, a private temporary directory); then in a directory of its
 * own under /var/tmp, named after the state directory so that it is found again next time.
 */
export async function postgresDataDir(stateDir: string, log: (line: string) => void): Promise<string> {
  const preferred = path.join(stateDir, 'postgres');
  mkdirSync(stateDir, { recursive: true });
  if (await postgresCanEnter(stateDir)) return preferred;
  const outside = path.join(
    '/var/tmp',
    `durable-runbooks-${createHash('sha256').update(stateDir).digest('hex').slice(0, 12)}`,
  );
  mkdirSync(outside, { recursive: true, mode: 0o755 });
  chmodSync(outside, 0o755);
  log(`the postgres user cannot enter ${stateDir}: PostgreSQL keeps its data in ${outside}/postgres`);
  return path.join(outside, 'postgres');
}

/** A password made once for the local database, kept (mode 600) beside its data. */
export function localDatabasePassword(stateDir: string): string {
  const file = path.join(stateDir, 'postgres-password');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const password = randomBytes(18).toString('base64url');
  writeFileSync(file, `${password}\n`, { mode: 0o600 });
  return password;
}
