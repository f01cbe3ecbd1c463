/**
 * `npm run bench:console -- [incidents (10000)]`: the console's incident list over many incidents, in
 * Chromium, on both store engines (a throwaway PostgreSQL, and the embedded PGlite). Every incident has a
 * page recorded, so each row's "paged" is read too. Prints the median of 5 loads of `/`: from navigation to
 * the first page of rows on screen, and the API's `GET /incidents` under it.
 */
import { chromium } from 'playwright-core';
import { loadConfig } from '../../config';
import { buildApiServer } from '../../intake/api/server';
import { openStore, type SqlClient } from '../../store';
import type { StoreLocation } from '../../store/sql-client';
import { onBothEngines } from './store-engines';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function seed(db: SqlClient, count: number) {
  for (let first = 0; first < count; first += 20_000) {
    const range = [first, Math.min(first + 20_000, count) - 1];
    await db.query(
      `INSERT INTO incidents (id, workflow_id, service, severity, scenario, summary, status, created_at,
         acknowledged_at, acknowledged_by, resolved_at, updated_at)
       SELECT 'bench-' || i, 'wf-' || i, 'svc-' || (i % 20), 'P' || (1 + i % 3), 'health', 'bench incident ' || i,
         CASE WHEN i % 10 = 0 THEN 'triggered' ELSE 'resolved' END, now() - (i || ' minutes')::interval,
         now() - (i || ' minutes')::interval + interval '3 minutes', 'Alice (api:alice)',
         CASE WHEN i % 10 = 0 THEN NULL ELSE now() - (i || ' minutes')::interval + interval '40 minutes' END, now()
       FROM generate_series($1::integer, $2::integer) AS i ON CONFLICT DO NOTHING`,
      range,
    );
    await db.query(
      `INSERT INTO notifications (incident_id, key, at, channel, level_name, contacts, reason, delivered)
       SELECT 'bench-' || i, 'page-0', now() - (i || ' minutes')::interval, 'page', 'primary', ARRAY['Primary on-call'],
         'new incident', true
       FROM generate_series($1::integer, $2::integer) AS i ON CONFLICT DO NOTHING`,
      range,
    );
  }
  await db.exec('ANALYZE incidents');
  await db.exec('ANALYZE notifications');
}

async function measure(engine: string, where: StoreLocation, count: number) {
  const db = await openStore(where);
  const api = await buildApiServer({ db, config: loadConfig(), version: 'bench' });
  const base = await api.listen({ host: '127.0.0.1', port: 0 });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox'] });
  try {
    await seed(db, count);
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const loads: number[] = [];
    const apiTimes: number[] = [];
    for (let i = 0; i < 6; i++) {
      const t = Date.now();
      await page.goto(`${base}/`);
      await page.waitForSelector('#incidents tbody tr:nth-child(50)');
      if (i > 0) loads.push(Date.now() - t); // the first load compiles the route's serializer
      const a = Date.now();
      await (await fetch(`${base}/api/v1/incidents?limit=50`)).json();
      apiTimes.push(Date.now() - a);
    }
    console.log(
      `[bench] console, ${engine}, ${count} incidents: first page of 50 rows on screen ${median(loads)} ms ` +
        `(median of 5 loads; min ${Math.min(...loads)}, max ${Math.max(...loads)}); GET /incidents ${median(apiTimes)} ms`,
    );
  } finally {
    await browser.close();
    await api.close();
    await db.close();
  }
}

async function main() {
  const count = Number(process.argv[2] ?? 10_000);
  await onBothEngines('bench-console', (engine, where) => measure(engine, where, count));
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});
