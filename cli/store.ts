/**
 * `durable-runbooks store migrate | status`: the system of record (`store/`). Where it is comes from the
 * environment the worker reads: `DATABASE_URL`, else the embedded PGlite under `RUNBOOKS_DATA_DIR` (default
 * `.data` in the checkout). A URL's password is never printed. Exit codes: `cli/exit-codes.ts`.
 */
import path from 'node:path';
import { PACKAGE_ROOT } from '../config/package-root';
import { openStore, storeLocation } from '../store';
import { MIGRATIONS } from '../store/migrations';
import type { StoreLocation } from '../store/sql-client';
import { helpFor, parse, usageOf, UsageError, type Parsed } from './args';
import { EXIT, EXIT_CODES_HELP } from './exit-codes';
import { jsonText, withTemporalClient } from './support';
import { incidentViewsSince, sinceFlag, unreadableNotice } from './incident-views';
import { recordIncidentView, type SqlClient } from '../store';

const COMMANDS = [
  ['migrate', 'bring the store to the newest schema (opening it does so too)'],
  ['status [--json]', 'where the store is, its migrations, and how many incidents it holds'],
  [
    'backfill [--since 30d] [--json]',
    'write the incidents Temporal still holds (their rows, timelines, pages) into the store; safe to repeat',
  ],
] as const;

export const USAGE = usageOf('durable-runbooks store', COMMANDS, EXIT_CODES_HELP);

const FLAGS = { json: { type: 'boolean' }, since: { type: 'string' } } as const;

/** The location for people to read: a server URL without its password, or the PGlite directory. */
export function describeLocation(where: StoreLocation): string {
  if ('dataDir' in where) return `PGlite in ${where.dataDir}`;
  try {
    const url = new URL(where.databaseUrl);
    if (url.password) url.password = '***';
    return `PostgreSQL at ${url.toString()}`;
  } catch {
    return 'PostgreSQL at DATABASE_URL (not a URL that can be shown)';
  }
}

/** The store where the environment says, opened for a command; null (the reason told) when it cannot be. */
export async function openCliStore(
  env: NodeJS.ProcessEnv,
  err: (s: string) => void,
): Promise<{ db: SqlClient; shown: string } | null> {
  const where = storeLocation(env, env.RUNBOOKS_DATA_DIR || path.join(PACKAGE_ROOT, '.data'));
  const shown = describeLocation(where);
  try {
    return { db: await openStore(where), shown };
  } catch (e) {
    // The driver's message names host and port, never the password.
    err(`the store (${shown}) could not be opened and migrated: ${(e as Error).message}`);
    return null;
  }
}

export async function runStoreCli(
  argv: string[],
  out: (s: string) => void = console.log,
  err: (s: string) => void = console.error,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  let args: Parsed;
  let from = '';
  try {
    args = parse(argv, FLAGS);
    const [command, ...extra] = args.positionals;
    if (args.help) {
      out(helpFor('store', COMMANDS, USAGE, command, EXIT_CODES_HELP));
      return EXIT.ok;
    }
    if (command !== 'migrate' && command !== 'status' && command !== 'backfill')
      throw new UsageError(command ? `unknown command ${JSON.stringify(command)}` : 'a command is needed');
    if (extra.length) throw new UsageError(`${command} takes no arguments`);
    if (args.values.since !== undefined && command !== 'backfill')
      throw new UsageError(`--since is a flag of backfill, not of ${command}`);
    if (command === 'backfill') from = sinceFlag(args);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    err(`${e.message}\n${USAGE}`);
    return EXIT.usage;
  }
  const opened = await openCliStore(env, err);
  if (!opened) return EXIT.unreachable;
  const { db, shown } = opened;
  try {
    const applied = (await db.query<{ id: string }>('SELECT id FROM schema_migrations ORDER BY id')).rows.map(
      (r) => r.id,
    );
    if (args.positionals[0] === 'backfill')
      return await backfill(db, from, args.values.json === true, out, err);
    if (args.positionals[0] === 'migrate') {
      out(`${shown}: at ${applied.at(-1)} (${applied.length} migrations)`);
      return EXIT.ok;
    }
    const { rows } = await db.query<{ n: number }>('SELECT count(*)::integer AS n FROM incidents');
    const status = {
      store: shown,
      engine: db.engine,
      migrations: applied,
      pending: MIGRATIONS.map((m) => m.id).filter((id) => !applied.includes(id)),
      incidents: rows[0].n,
    };
    if (args.values.json === true) out(jsonText(status));
    else
      out(
        [
          `store       ${status.store}`,
          `migrations  ${applied.join(', ')}${status.pending.length ? ` (pending: ${status.pending.join(', ')})` : ''}`,
          `incidents   ${status.incidents}`,
        ].join('\n'),
      );
    return EXIT.ok;
  } finally {
    await db.close();
  }
}

/**
 * `backfill`: the incidents started since `from` that Temporal still holds, each written as its workflow shows
 * it. Exit 3 when Temporal cannot be reached; incidents whose query did not answer are named (exit 1).
 */
async function backfill(
  db: SqlClient,
  from: string,
  json: boolean,
  out: (s: string) => void,
  err: (s: string) => void,
): Promise<number> {
  return withTemporalClient(err, async (client, connection) => {
    const listed = await incidentViewsSince(client, connection, from);
    const totals = {
      since: from,
      incidents: listed.views.length,
      created: 0,
      timelineAdded: 0,
      pagesAdded: 0,
    };
    for (const view of listed.views) {
      const written = await recordIncidentView(db, view);
      totals.created += written.created ? 1 : 0;
      totals.timelineAdded += written.timelineAdded;
      totals.pagesAdded += written.pagesAdded;
    }
    if (json) out(jsonText({ ...totals, unreadable: listed.unreadable }));
    else
      out(
        `${totals.incidents} incidents since ${from}: ${totals.created} new to the store, ` +
          `${totals.timelineAdded} timeline entries and ${totals.pagesAdded} pages added`,
      );
    const notice = unreadableNotice(listed);
    if (notice) err(notice);
    return notice ? EXIT.refused : EXIT.ok;
  });
}
