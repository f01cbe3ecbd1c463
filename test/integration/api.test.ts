/**
 * The API's read side (`/api/v1`) over a real PostgreSQL store, through its own listener: incidents newest
 * first with filters and cursors, one incident with its record, response times over any period, the OpenAPI
 * document against the routes, and the refusals (422 naming the field, 404, 403 from elsewhere).
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { networkInterfaces } from 'node:os';
import type { FastifyInstance } from 'fastify';
import {
  appendTimeline,
  createToken,
  openStore,
  recordPages,
  revokeToken,
  upsertIncident,
  type SqlClient,
} from '../../store';
import type { IncidentRecord } from '../../store';
import type { PageRecord, TimelineEntry } from '../../domain/types';
import { testConfig } from '../../scripts/testbed/config';
import { buildApiServer } from '../../intake/api/server';
import { describeWith } from '../../scripts/testbed/services';
import { freshPostgres } from '../support/fresh-postgres';
import { eventually } from '../../scripts/testbed/eventually';
import { freePort } from '../../scripts/testbed/local-services';
import { runCli } from '../support/cli-process';
import { jsonLines } from '../support/files';

const ROOT = path.resolve(__dirname, '..', '..');

const NOW = Date.now();
const MIN = 60_000;
const SERVICES = ['checkout', 'payments', 'search'];
const SEVERITIES = ['P1', 'P2', 'P3'];
const COUNT = 120;

/** Incident k: opened k minutes ago; every third acknowledged after k s, every fifth also resolved. */
function incident(k: number): IncidentRecord {
  const created = NOW - k * MIN;
  const acked = k % 3 === 0 ? new Date(created + k * 1000).toISOString() : null;
  const resolved = acked && k % 5 === 0 ? new Date(created + 10 * k * 1000).toISOString() : null;
  return {
    id: `api-${String(k).padStart(4, '0')}`,
    workflowId: `wf-${k}`,
    service: SERVICES[k % 3],
    severity: SEVERITIES[Math.floor(k / 3) % 3],
    scenario: 'health',
    summary: `incident ${k}`,
    status: resolved ? 'resolved' : acked ? 'acknowledged' : 'triggered',
    createdAt: new Date(created).toISOString(),
    acknowledgedAt: acked,
    acknowledgedBy: acked ? 'alice' : null,
    resolvedAt: resolved,
    resolvedBy: resolved ? 'bob' : null,
    updatedAt: resolved ?? acked ?? new Date(created).toISOString(),
  };
}

describeWith(['postgres'], 'the API over the store (/api/v1)', () => {
  let db: SqlClient;
  let app: FastifyInstance;
  let base: string;
  let databaseUrl: string;
  const all = Array.from({ length: COUNT }, (_, k) => incident(k + 1));
  const timeline: TimelineEntry[] = [
    { at: new Date(NOW - MIN).toISOString(), type: 'opened', message: 'incident opened: <b>not markup</b>' },
    {
      at: new Date(NOW - MIN + 500).toISOString(),
      type: 'acknowledged',
      message: 'acknowledged',
      actor: 'alice',
    },
  ];
  const page: PageRecord = {
    at: new Date(NOW - MIN + 100).toISOString(),
    level: 0,
    levelName: 'primary-oncall',
    contactIds: ['primary-oncall'],
    contacts: ['Primary On-call'],
    channel: 'page',
    reason: 'P1 opened',
    delivered: true,
    seq: 0,
  };

  beforeAll(async () => {
    const location = await freshPostgres('api');
    databaseUrl = (location as { databaseUrl: string }).databaseUrl;
    db = await openStore(location);
    for (const i of all) await upsertIncident(db, i);
    await appendTimeline(db, all[0].id, 0, timeline);
    await recordPages(db, all[0].id, [page]);
    app = await buildApiServer({ db, config: testConfig(), version: 'test' });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  const get = async (path: string) => {
    const res = await fetch(`${base}/api/v1${path}`);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  test('incidents newest first, a page at a time: every incident exactly once', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const { status, body } = await get(`/incidents?limit=50${cursor ? `&cursor=${cursor}` : ''}`);
      expect(status).toBe(200);
      seen.push(...(body.incidents as Array<{ id: string }>).map((i) => i.id));
      cursor = body.nextCursor as string | null;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(all.map((i) => i.id)); // k = 1 is the newest
  });

  test('filters by status, service, severity and age (a duration or an ISO time)', async () => {
    const { body } = await get('/incidents?service=checkout&severity=P2&status=acknowledged&limit=500');
    const expected = all.filter(
      (i) => i.service === 'checkout' && i.severity === 'P2' && i.status === 'acknowledged',
    );
    expect(expected.length).toBeGreaterThan(0);
    expect((body.incidents as Array<{ id: string }>).map((i) => i.id)).toEqual(expected.map((i) => i.id));
    // Half a minute off the incidents' whole minutes, so the request's own clock cannot move the boundary.
    const recent = await get('/incidents?since=1830s&limit=500');
    expect((recent.body.incidents as unknown[]).length).toBe(30);
    const iso = await get(
      `/incidents?since=${encodeURIComponent(new Date(NOW - 10.5 * MIN).toISOString())}&limit=500`,
    );
    expect((iso.body.incidents as unknown[]).length).toBe(10);
  });

  test.each([
    ['severity=P9', /^severity: /],
    ['status=sleeping', /^status: /],
    ['limit=0', /^limit: /],
    ['limit=ten', /^limit: /],
    ['cursor=not-ours', /^cursor: not one this server gave/],
    ['since=yesterday', /^since: a duration like 30d or an ISO time/],
  ])('a bad query (%s) is a 422 naming the field', async (query, message) => {
    const { status, body } = await get(`/incidents?${query}`);
    expect(status).toBe(422);
    expect(body.error).toMatch(message);
  });

  test('one incident with its whole timeline and its notifications; an unknown id is a 404 naming it', async () => {
    const { status, body } = await get(`/incidents/${all[0].id}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ id: all[0].id, service: all[0].service, status: all[0].status });
    expect(body.timeline).toEqual(timeline); // text from alerts comes back as data, unchanged
    expect(body.notifications).toEqual([
      {
        key: 'page-0',
        at: page.at,
        channel: 'page',
        levelName: 'primary-oncall',
        contacts: ['Primary On-call'],
        reason: 'P1 opened',
        delivered: true,
        detail: null,
      },
    ]);
    const missing = await get('/incidents/no-such-incident');
    expect(missing).toEqual({
      status: 404,
      body: { error: 'id: no incident "no-such-incident" in the store' },
    });
  });

  test('response times per service and severity over any period', async () => {
    const { status, body } = await get('/reports/response-times?since=90d');
    expect(status).toBe(200);
    const rows = body.rows as Array<{
      service: string;
      severity: string;
      incidents: number;
      mttaSeconds: number | null;
    }>;
    const mine = all.filter((i) => i.service === 'checkout' && i.severity === 'P1');
    const acked = mine.filter((i) => i.acknowledgedAt);
    const mean =
      acked.reduce((s, i) => s + (Date.parse(i.acknowledgedAt!) - Date.parse(i.createdAt)) / 1000, 0) /
      acked.length;
    expect(rows.find((r) => r.service === 'checkout' && r.severity === 'P1')).toMatchObject({
      incidents: mine.length,
      mttaSeconds: Math.round(mean * 10) / 10,
    });
    expect(rows.reduce((n, r) => n + r.incidents, 0)).toBe(COUNT);
    expect((await get('/reports/response-times?since=soon')).status).toBe(422);
  });

  test('the OpenAPI document describes exactly the routes served', async () => {
    const { status, body } = await get('/openapi.json');
    expect(status).toBe(200);
    expect(body.openapi).toBe('3.0.3');
    const documented = Object.entries(body.paths as Record<string, Record<string, unknown>>)
      .flatMap(([p, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${p}`))
      .sort();
    const served = app.apiRoutes.map((r) => r.replace(/:(\w+)/g, '{$1}')).sort();
    expect(documented).toEqual(served);
    expect(served).toEqual([
      'DELETE /api/v1/maintenance/{service}',
      'DELETE /api/v1/oncall/{schedule}/overrides/{id}',
      'DELETE /api/v1/status/services/{service}',
      'GET /api/v1/action-items',
      'GET /api/v1/events',
      'GET /api/v1/incidents',
      'GET /api/v1/incidents/{id}',
      'GET /api/v1/incidents/{id}/live',
      'GET /api/v1/incidents/{id}/review-meeting',
      'GET /api/v1/maintenance',
      'GET /api/v1/oncall',
      'GET /api/v1/oncall/{schedule}',
      'GET /api/v1/oncall/{schedule}/calendar',
      'GET /api/v1/reports/on-call-load',
      'GET /api/v1/reports/response-times',
      'GET /api/v1/reports/weekly',
      'GET /api/v1/reviews/{incident}',
      'GET /api/v1/reviews/{incident}/markdown',
      'PATCH /api/v1/action-items/{id}',
      'PATCH /api/v1/reviews/{incident}',
      'POST /api/v1/action-items',
      'POST /api/v1/incidents',
      'POST /api/v1/incidents/{id}/review-scheduled',
      'POST /api/v1/incidents/{id}/status-updates',
      'POST /api/v1/incidents/{id}/{action}',
      'POST /api/v1/maintenance/{service}',
      'POST /api/v1/oncall/{schedule}/overrides',
      'PUT /api/v1/status/services/{service}',
    ]);
  });

  test('`incident report --store` answers for a quarter, from incidents Temporal no longer holds', async () => {
    const DAY = 86_400_000;
    const old = {
      ...incident(0),
      id: 'quarter-old',
      workflowId: 'quarter-old',
      service: 'ledger',
      severity: 'P2',
      createdAt: new Date(NOW - 80 * DAY).toISOString(),
      acknowledgedAt: new Date(NOW - 80 * DAY + 90_000).toISOString(),
      resolvedAt: new Date(NOW - 80 * DAY + 3_600_000).toISOString(),
      updatedAt: new Date(NOW - 80 * DAY + 3_600_000).toISOString(),
    };
    await upsertIncident(db, old);
    const report = async (since: string) =>
      runCli(['incident', 'report', '--store', '--since', since, '--json'], { DATABASE_URL: databaseUrl });
    const quarter = await report('90d');
    expect(quarter.code).toBe(0);
    const rows = (JSON.parse(quarter.stdout) as { responseTimes: Array<Record<string, unknown>> })
      .responseTimes;
    expect(rows.find((r) => r.service === 'ledger')).toEqual({
      service: 'ledger',
      severity: 'P2',
      incidents: 1,
      acknowledged: 1,
      resolved: 1,
      mttaSeconds: 90,
      mttrSeconds: 3600,
    });
    const month = JSON.parse((await report('30d')).stdout) as { responseTimes: Array<{ service: string }> };
    expect(month.responseTimes.map((r) => r.service)).not.toContain('ledger');
    const text = await runCli(['incident', 'report', '--store', '--since', '90d'], {
      DATABASE_URL: databaseUrl,
    });
    expect(text.stdout).toMatch(/ledger\s+P2\s+1\s+1\s+1\s+1:30\s+1:00:00/);

    // Without --store: through the API that DURABLE_RUNBOOKS_API names (as the token's person), else from
    // DATABASE_URL; the same rows either way. Only with neither does it read Temporal, and say so.
    const json = (run: { stdout: string }) =>
      (JSON.parse(run.stdout) as { responseTimes: unknown[] }).responseTimes;
    const issued = await createToken(db, 'primary-oncall', 'report test');
    try {
      const viaApi = await runCli(['incident', 'report', '--since', '90d', '--json'], {
        DURABLE_RUNBOOKS_API: base,
        DURABLE_RUNBOOKS_TOKEN: issued.token,
        DATABASE_URL: '',
      });
      expect([viaApi.code, viaApi.stderr]).toEqual([0, '']);
      expect(json(viaApi)).toEqual(rows);
      const refused = await runCli(['incident', 'report', '--since', '90d'], {
        DURABLE_RUNBOOKS_API: base,
        DURABLE_RUNBOOKS_TOKEN: 'drb_not-a-token',
      });
      expect([refused.code, refused.stderr]).toEqual([
        1,
        expect.stringMatching(/401: .*not a live API token/),
      ]);
    } finally {
      await revokeToken(db, issued.id);
    }
    const viaUrl = await runCli(['incident', 'report', '--since', '90d', '--json'], {
      DATABASE_URL: databaseUrl,
    });
    expect(json(viaUrl)).toEqual(rows);
  });

  test('`durable-runbooks api` serves it on loopback whatever API_HOST asks, until stopped', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'durable-runbooks.js'), 'api'], {
      env: { ...process.env, DATABASE_URL: databaseUrl, API_HOST: '0.0.0.0', API_PORT: String(port) },
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    try {
      await eventually(
        async () =>
          expect(jsonLines(output)).toContainEqual(
            expect.objectContaining({
              name: 'api',
              msg: expect.stringContaining(`serving http://127.0.0.1:${port}/api/v1`),
            }),
          ),
        30_000,
      );
      expect(output).toContain('binding to 127.0.0.1 instead of 0.0.0.0');
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/incidents?limit=5`);
      expect(((await res.json()) as { incidents: Array<{ id: string }> }).incidents.map((i) => i.id)).toEqual(
        all.slice(0, 5).map((i) => i.id),
      );
    } finally {
      child.kill('SIGTERM');
    }
    expect(await new Promise((r) => child.once('exit', (code) => r(code)))).toBe(0);
  }, 60_000);

  test('a request from elsewhere, or addressed to another name (DNS rebinding), is refused', async () => {
    const rebound = await request(new URL(base), { host: 'attacker.example:8089' });
    expect(rebound).toMatchObject({
      status: 403,
      body: { error: expect.stringMatching(/this machine only/) },
    });
    // The same server listening on every address, called on this machine's network address.
    const outside = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
    expect(outside).toBeDefined();
    const open = await buildApiServer({ db, config: testConfig(), version: 'test' });
    try {
      const port = new URL(await open.listen({ host: '0.0.0.0', port: 0 })).port;
      const remote = await request(new URL(`http://${outside}:${port}`), { host: `127.0.0.1:${port}` });
      expect(remote.status).toBe(403);
    } finally {
      await open.close();
    }
    expect((await get('/nothing-here')).status).toBe(404);
  });

  test('/healthz answers probes without a token, on any name, and says when the store is gone', async () => {
    // A probe calls the pod by its address: the Host is not loopback, and no token is sent.
    const probe = await request(new URL(base), { host: '10.1.2.3:8089' }, '/healthz');
    expect(probe).toEqual({ status: 200, body: { status: 'ok' } });
    expect((await request(new URL(base), { host: '10.1.2.3:8089' })).status).toBe(403); // the rest is not open
    const gone = await openStore({ databaseUrl });
    const orphan = await buildApiServer({ db: gone, config: testConfig(), version: 'test' });
    try {
      await gone.close();
      // A real request: fastify's inject loads an ES module that jest cannot.
      const res = await fetch(`${await orphan.listen({ host: '127.0.0.1', port: 0 })}/healthz`);
      expect({ status: res.status, body: await res.json() }).toEqual({
        status: 503,
        body: { status: 'store unreachable' },
      });
    } finally {
      await orphan.close();
    }
  });
});

/** GET `path` (default /api/v1/incidents) with the Host header given (fetch sets its own). */
function request(
  url: URL,
  headers: http.OutgoingHttpHeaders,
  path = '/api/v1/incidents',
): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: url.hostname, port: url.port, path, headers }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on('error', reject);
  });
}
