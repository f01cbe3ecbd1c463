/**
 * The store's suite (`test/support/store-suite.ts`), run on both engines it supports: a real PostgreSQL
 * in-process, and the embedded PGlite in a node process of its own (see the suite for why). The same
 * migrations, the same SQL, the same checks.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { openStore, storeLocation, type SqlClient } from '../../store';
import { MIGRATIONS } from '../../store/migrations';
import type { StoreLocation } from '../../store/sql-client';
import { describeWith } from '../../scripts/testbed/services';
import { tempDir } from '../../scripts/testbed/temporal';
import { PGLITE_HOLDER_CHECK, STORE_CHECKS } from '../support/store-suite';
import { freshPostgres } from '../support/fresh-postgres';

const ROOT = path.resolve(__dirname, '..', '..');

describeWith(['postgres'], 'store on PostgreSQL', () => {
  let db: SqlClient;
  let location: StoreLocation;
  beforeAll(async () => {
    location = await freshPostgres();
    const started = Date.now();
    db = await openStore(location);
    console.log(`postgres: opened and migrated an empty store in ${Date.now() - started} ms`);
  });
  afterAll(async () => {
    await db?.close();
  });
  test.each(STORE_CHECKS.map((c) => [c.name, c] as const))('%s', async (_name, check) => {
    expect(db.engine).toBe('postgres');
    await check.run(db, location, console.log);
  });
});

test('store on PGlite (embedded): every check of the suite passes', () => {
  const run = spawnSync(
    process.execPath,
    [
      '-r',
      'tsx/cjs',
      path.join(ROOT, 'test', 'support', 'store-suite.ts'),
      path.join(tempDir('store-'), 'store'),
    ],
    { encoding: 'utf8', cwd: ROOT, timeout: 120_000 },
  );
  expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
  const passed = run.stdout
    .split('\n')
    .filter((l) => l.startsWith('ok '))
    .map((l) => l.slice(3));
  expect(passed).toEqual([PGLITE_HOLDER_CHECK, ...STORE_CHECKS.map((c) => c.name)]);
  console.log(
    run.stdout
      .split('\n')
      .filter((l) => l.startsWith('pglite:'))
      .join('\n'),
  );
}, 150_000);

test('DATABASE_URL picks the server; without it the store is PGlite under the data directory', () => {
  expect(storeLocation({ DATABASE_URL: 'postgres://u@h/db' }, '/data')).toEqual({
    databaseUrl: 'postgres://u@h/db',
  });
  expect(storeLocation({ DATABASE_URL: ' ' }, '/data')).toEqual({ dataDir: '/data/store' });
});

test('durable-runbooks store migrate and status: the embedded store under RUNBOOKS_DATA_DIR; a URL without its password', () => {
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
