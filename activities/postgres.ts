/** PostgreSQL activities (pg): reachability and connection usage, as the seed's psql checks do. */
import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationFailure } from '@temporalio/activity';
import { Client } from 'pg';
import { readSecret, redact, type Env } from './secrets';
import type { DatabaseCheck, ConnectionUsage } from './contract';

export type { DatabaseCheck, ConnectionUsage };

export function createPostgresActivities(env: Env) {
  const urlFrom = (urlEnv: string) => {
    const url = readSecret(env, urlEnv);
    if (!url)
      throw ApplicationFailure.nonRetryable(
        `${urlEnv} is not set: the runbook cannot reach the database`,
        'NoDatabaseUrl',
      );
    return url;
  };

  async function withClient<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
    const client = new Client({
      connectionString: url,
      connectionTimeoutMillis: 2000,
      statement_timeout: 5000,
    });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  async function checkDatabase({ urlEnv }: { urlEnv: string }): Promise<DatabaseCheck> {
    const url = urlFrom(urlEnv);
    try {
      const version = await withClient(
        url,
        async (c) => (await c.query<{ v: string }>('SELECT version() AS v')).rows[0].v,
      );
      return { reachable: true, detail: `database connection OK (${version.split(' on ')[0]})` };
    } catch (err) {
      return {
        reachable: false,
        detail: `database connection failed: ${redact((err as Error).message, [url])}`,
      };
    }
  }

  async function waitForDatabase({
    urlEnv,
    timeoutMs,
  }: {
    urlEnv: string;
    timeoutMs: number;
  }): Promise<DatabaseCheck> {
    const deadline = Date.now() + timeoutMs;
    let last: DatabaseCheck = { reachable: false, detail: 'not tried' };
    while (Date.now() < deadline) {
      last = await checkDatabase({ urlEnv });
      if (last.reachable) return last;
      await sleep(500);
    }
    throw ApplicationFailure.retryable(
      `database not ready after ${timeoutMs / 1000} s: ${last.detail}`,
      'DatabaseNotReady',
    );
  }

  /** `pg_stat_activity` by state (active, idle, idle in transaction) against `max_connections`. */
  async function connectionUsage({ urlEnv }: { urlEnv: string }): Promise<ConnectionUsage> {
    const url = urlFrom(urlEnv);
    return withClient(url, async (c) => {
      const rows = (
        await c.query<{ state: string | null; n: string }>(
          `SELECT coalesce(state, 'background') AS state, count(*) AS n FROM pg_stat_activity
           WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() GROUP BY 1`,
        )
      ).rows;
      const max = Number(
        (await c.query<{ max_connections: string }>('SHOW max_connections')).rows[0].max_connections,
      );
      const byState = Object.fromEntries(rows.map((r) => [r.state as string, Number(r.n)]));
      return { byState, total: rows.reduce((s, r) => s + Number(r.n), 0), maxConnections: max };
    });
  }

  return { checkDatabase, waitForDatabase, connectionUsage };
}

export type PostgresActivities = ReturnType<typeof createPostgresActivities>;
