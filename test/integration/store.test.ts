/**
 * The store's suite, run on both engines it supports: the embedded PGlite and a real PostgreSQL. The same
 * migrations, the same SQL, the same answers.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { Client as PgClient } from 'pg';
import { migrate } from '../../store/migrate';
import { MIGRATIONS } from '../../store/migrations';
import {
  appendTimeline,
  openStore,
  storeLocation,
  timelineOf,
  upsertIncident,
  type SqlClient,
} from '../../store';
import type { StoreLocation } from '../../store/sql-client';
import type { TimelineEntry } from '../../domain/types';
import { describeWith, serviceValue } from '../../scripts/testbed/services';
import { tempDir } from '../../scripts/testbed/temporal';

const ROOT = path.resolve(__dirname, '..', '..');
const T0 = Date.parse('2026-12-05T00:00:00Z');
const entry = (i: number): TimelineEntry => ({
  at: new Date(T0 + i * 1000).toISOString(),
  type: i % 2 ? 'note' : 'page',
  message: `entry ${i} <b>not markup</b> ' "quoted"`,
  ...(i % 3 ? { actor: `person-${i}` } : {}),
});
const incident = (id: string, status: string, updatedAt: number) => ({
  id,
  workflowId: `wf-${id}`,
  service: 'checkout',
  severity: 'P1',
  scenario: 'health',
  summary: 'checkout down',
  status,
  createdAt: new Date(T0).toISOString(),
  acknowledgedAt: status === 'triggered' ? null : new Date(T0 + 60_000).toISOString(),
  acknowledgedBy: status === 'triggered' ? null : 'alice',
  resolvedAt: null,
  resolvedBy: null,
  updatedAt: new Date(updatedAt).toISOString(),
});

/** A fresh database on the test PostgreSQL, so each run migrates an empty one. */
async function freshPostgres(): Promise<StoreLocation> {
  const admin = new PgClient({ connectionString: serviceValue('postgres') });
  await admin.connect();
  const name = `store_${Date.now()}_${Math.random().toString(16).slice(2, 8)}`;
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serviceValue('postgres'));
  url.pathname = `/${name}`;
  return { databaseUrl: url.toString() };
}

function storeSuite(engine: 'pglite' | 'postgres', where: () => Promise<StoreLocation>) {
  let db: SqlClient;
  let location: StoreLocation;
  beforeAll(async () => {
    location = await where();
    const started = Date.now();
    db = await openStore(location);
    console.log(`${engine}: opened and migrated an empty store in ${Date.now() - started} ms`);
  }, 120_000);
  afterAll(async () => {
    await db?.close();
  });

  test('an empty database gets every migration once; opening again, or twice at once, changes nothing', async () => {
    expect(db.engine).toBe(engine);
    const { rows } = await db.query<{ id: string }>('SELECT id FROM schema_migrations ORDER BY id');
    expect(rows.map((r) => r.id)).toEqual(MIGRATIONS.map((m) => m.id));
    expect(await migrate(db)).toEqual([]);
    if (engine === 'postgres') {
      // Two processes starting at once take turns on the advisory lock.
      const [a, b] = [await openStore(location), await openStore(location)];
      expect(await Promise.all([migrate(a), migrate(b)])).toEqual([[], []]);
      await Promise.all([a.close(), b.close()]);
    }
    const tables = await db.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
    );
    expect(tables.rows.map((r) => r.table_name)).toEqual([
      'action_items',
      'audit',
      'incidents',
      'notifications',
      'reviews',
      'schema_migrations',
      'timeline_events',
    ]);
  });

  test('a later migration runs once on a store at the previous version', async () => {
    const next = { id: '9999_test_only', sql: 'CREATE TABLE test_only_upgrade (x integer);' };
    expect(await migrate(db, [...MIGRATIONS, next])).toEqual(['9999_test_only']);
    expect(await migrate(db, [...MIGRATIONS, next])).toEqual([]);
    await db.exec("DROP TABLE test_only_upgrade; DELETE FROM schema_migrations WHERE id = '9999_test_only'");
  });

  test('an incident is one row with its newest fields; a late older write does not undo a newer one', async () => {
    const id = `inc-${engine}-1`;
    await upsertIncident(db, incident(id, 'triggered', T0));
    await upsertIncident(db, incident(id, 'acknowledged', T0 + 60_000));
    await upsertIncident(db, incident(id, 'triggered', T0 + 1000)); // a retry from before the ack, late
    const { rows } = await db.query<{ status: string; acknowledged_by: string; n: number }>(
      'SELECT status, acknowledged_by, (SELECT count(*)::integer FROM incidents WHERE id = $1) AS n FROM incidents WHERE id = $1',
      [id],
    );
    expect(rows).toEqual([{ status: 'acknowledged', acknowledged_by: 'alice', n: 1 }]);
  });

  test('the timeline is whole and uncapped: 5,000 entries in batches, retried batches stored once, text as data', async () => {
    const id = `inc-${engine}-timeline`;
    const entries = Array.from({ length: 5000 }, (_, i) => entry(i));
    let stored = 0;
    const started = Date.now();
    for (let first = 0; first < entries.length; first += 500)
      stored += await appendTimeline(db, id, first, entries.slice(first, first + 500));
    const took = Date.now() - started;
    // A retried activity and a replay write the same batches again.
    expect(await appendTimeline(db, id, 0, entries.slice(0, 500))).toBe(0);
    expect(await appendTimeline(db, id, 4900, entries.slice(4900))).toBe(0);
    expect(stored).toBe(5000);
    expect(await timelineOf(db, id)).toEqual(entries);
    console.log(`${engine}: 5,000 timeline entries in 10 batches in ${took} ms`);
  });
}

describe('store on PGlite (embedded)', () => {
  storeSuite('pglite', async () => storeLocation({}, tempDir('store-')));
});

describeWith(['postgres'], 'store on PostgreSQL', () => {
  storeSuite('postgres', freshPostgres);
});

test('DATABASE_URL picks the server; without it the store is PGlite under the data directory', () => {
  expect(storeLocation({ DATABASE_URL: 'postgres://u@h/db' }, '/data')).toEqual({
    databaseUrl: 'postgres://u@h/db',
  });
  expect(storeLocation({ DATABASE_URL: ' ' }, '/data')).toEqual({ dataDir: '/data/store' });
});

test('durable-runbooks store migrate and status: the embedded store under RUNBOOKS_DATA_DIR; a URL without its password', async () => {
  const dataDir = tempDir('store-cli-');
  const cli = (args: string[], env: Record<string, string>) =>
    spawnSync(process.execPath, [path.join(ROOT, 'bin', 'durable-runbooks.js'), 'store', ...args], {
      encoding: 'utf8',
      env: { ...process.env, DATABASE_URL: '', ...env },
    });
  const migrated = cli(['migrate'], { RUNBOOKS_DATA_DIR: dataDir });
  expect(migrated).toMatchObject({
    status: 0,
    stdout: `PGlite in ${path.join(dataDir, 'store')}: at ${MIGRATIONS.at(-1)!.id} (${MIGRATIONS.length} migrations)\n`,
  });
  const status = cli(['status', '--json'], { RUNBOOKS_DATA_DIR: dataDir });
  expect(status.status).toBe(0);
  expect(JSON.parse(status.stdout)).toEqual({
    store: `PGlite in ${path.join(dataDir, 'store')}`,
    engine: 'pglite',
    migrations: MIGRATIONS.map((m) => m.id),
    pending: [],
    incidents: 0,
  });
  // A server that is not there: exit 3, and the password nowhere in what is printed.
  const down = cli(['status'], {
    DATABASE_URL: 'postgres://runbooks:s3cret-pw@127.0.0.1:1/durable_runbooks',
  });
  expect(down.status).toBe(3);
  expect(down.stderr).toContain('PostgreSQL at postgres://runbooks:***@127.0.0.1:1/durable_runbooks');
  expect(`${down.stdout}${down.stderr}`).not.toContain('s3cret-pw');
}, 120_000);
