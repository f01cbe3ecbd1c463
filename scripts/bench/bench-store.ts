/**
 * `npm run bench:store -- [incidents (100000)]`: the store's reads over many incidents, on both engines: a
 * throwaway PostgreSQL (or DATABASE_URL) and the embedded PGlite. Prints the time of each query (the median
 * of 5 runs): the newest page, a filtered page, a page 1,000 deep by cursor, and response times over all;
 * then the same through the API (`GET /api/v1/incidents` and `/reports/response-times` over HTTP, on
 * loopback, as a client sees them).
 */
import { loadConfig } from '../../config';
import { buildApiServer } from '../../intake/api/server';
import { listIncidents, openStore, responseTimes, type SqlClient } from '../../store';
import type { StoreLocation } from '../../store/sql-client';
import { onBothEngines } from './store-engines';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const runs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = process.hrtime.bigint();
    await fn();
    runs.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return Math.round(median(runs) * 10) / 10;
}

async function measure(engine: string, where: StoreLocation, count: number) {
  const db: SqlClient = await openStore(where);
  try {
    const t0 = Date.now();
    // In SQL, in batches: the measurement is of the reads, not of a client's insert loop.
    for (let first = 0; first < count; first += 20_000)
      await db.query(
        `INSERT INTO incidents (id, workflow_id, service, severity, scenario, summary, status, created_at,
           acknowledged_at, resolved_at, updated_at)
         SELECT 'bench-' || i, 'wf-' || i, 'svc-' || (i % 20), 'P' || (1 + i % 3), 'health', 'bench incident ' || i,
           CASE WHEN i % 10 = 0 THEN 'triggered' ELSE 'resolved' END,
           now() - (i || ' minutes')::interval, now() - (i || ' minutes')::interval + interval '3 minutes',
           CASE WHEN i % 10 = 0 THEN NULL ELSE now() - (i || ' minutes')::interval + interval '40 minutes' END, now()
         FROM generate_series($1::integer, $2::integer) AS i ON CONFLICT DO NOTHING`,
        [first, Math.min(first + 20_000, count) - 1],
      );
    await db.exec('ANALYZE incidents');
    const loaded = Date.now() - t0;
    let cursor: string | undefined;
    for (let i = 0; i < 1000 / 50; i++) cursor = (await listIncidents(db, { limit: 50, cursor })).nextCursor!;
    const results = {
      newest: await timed(() => listIncidents(db, { limit: 50 })),
      filtered: await timed(() => listIncidents(db, { limit: 50, service: 'svc-7', status: 'triggered' })),
      deep: await timed(() => listIncidents(db, { limit: 50, cursor })),
      responseTimes: await timed(() => responseTimes(db, new Date(0).toISOString())),
    };
    console.log(
      `[bench] ${engine}, ${count} incidents (loaded in ${loaded} ms): newest page of 50 ${results.newest} ms; ` +
        `by service and status ${results.filtered} ms; page 1,000 deep by cursor ${results.deep} ms; ` +
        `response times over all ${results.responseTimes} ms`,
    );
    const api = await buildApiServer({ db, config: loadConfig(), version: 'bench' });
    const base = await api.listen({ host: '127.0.0.1', port: 0 });
    try {
      const get = (query: string) => async () => {
        const res = await fetch(`${base}/api/v1${query}`);
        if (!res.ok) throw new Error(`${query}: ${res.status}`);
        await res.json();
      };
      await get('/incidents')(); // the first request compiles the route's serializer
      const http = {
        newest: await timed(get('/incidents?limit=50')),
        filtered: await timed(get('/incidents?limit=50&service=svc-7&status=triggered')),
        deep: await timed(get(`/incidents?limit=50&cursor=${cursor}`)),
        responseTimes: await timed(get('/reports/response-times?since=3650d')),
      };
      console.log(
        `[bench] ${engine} through the API (HTTP): GET /incidents newest ${http.newest} ms; filtered ${http.filtered} ms; ` +
          `1,000 deep ${http.deep} ms; GET /reports/response-times over all ${http.responseTimes} ms`,
      );
    } finally {
      await api.close();
    }
  } finally {
    await db.close();
  }
}

async function main() {
  const count = Number(process.argv[2] ?? 100_000);
  await onBothEngines('bench-store', (engine, where) => measure(engine, where, count));
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});
