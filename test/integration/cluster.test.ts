/**
 * `npm run cluster` as a user runs it: the Temporal server on PostgreSQL, its UI, two workers, two intake
 * replicas behind HAProxy and the API over the store, supervised, on engine revision 5 (the store is the
 * record). An alert through the proxy pages; people act on it through the API; processes killed with SIGKILL
 * come back while alerts keep being accepted, and the review, written after a worker was killed, holds every
 * entry of the timeline; SIGINT leaves no process behind.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Client as PgClient } from 'pg';
import { MIGRATIONS } from '../../store/migrations';
import { Client, Connection } from '@temporalio/client';
import { freePort } from '../../scripts/testbed/local-services';
import { statusQuery } from '../../domain/messages';
import { timelineLine } from '../../domain/render';
import { activityCounts } from '../support/history-checks';
import type { TimelineEntry } from '../../domain/types';
import { writeTestConfig } from '../../scripts/testbed/config';
import { eventually } from '../../scripts/testbed/eventually';
import { describeWith } from '../../scripts/testbed/services';
import { tempDir } from '../../scripts/testbed/temporal';

const ROOT = path.resolve(__dirname, '..', '..');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describeWith(['cluster', 'haproxy', 'postgres'], 'npm run cluster', () => {
  const dir = tempDir('cluster-');
  chmodSync(dir, 0o755); // PostgreSQL runs as the `postgres` user, which must reach its data directory
  const stateDir = path.join(dir, 'state');
  const pidFile = path.join(stateDir, 'pids.json');
  const journalFile = path.join(dir, 'journal.jsonl');
  let cluster: ChildProcess;
  let output = '';
  let exited: Promise<number | null>;
  let ports: { temporal: number; ui: number; intake: number; api: number };
  /** The incident people acknowledged through the API, resolved after the kill. */
  let throughApi: { incidentId: string; workflowId: string } | undefined;
  let connection: Connection;
  let client: Client;
  const pids = (): Record<string, number> => JSON.parse(readFileSync(pidFile, 'utf8'));

  const postAlert = async (dedupKey: string, summary: string) => {
    const res = await fetch(`http://127.0.0.1:${ports.intake}/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ service: 'checkout', summary, severity: 'P2', dedupKey }),
    });
    const body = (await res.json()) as { incidents?: { workflowId: string }[] };
    return { status: res.status, workflowId: body.incidents?.[0]?.workflowId };
  };

  /** The cluster's API, as a person on this machine calls it. */
  const api = async (method: 'GET' | 'POST', route: string, body?: object) => {
    const res = await fetch(`http://127.0.0.1:${ports.api}/api/v1${route}`, {
      method,
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(60_000),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    ports = {
      temporal: await freePort(),
      ui: await freePort(),
      intake: await freePort(),
      api: await freePort(),
    };
    const configFile = writeTestConfig(dir, { journal: { file: journalFile }, engine: { revision: 5 } });
    cluster = spawn(process.execPath, ['-r', 'tsx/cjs', path.join(ROOT, 'scripts', 'ops', 'cluster.ts')], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        CLUSTER_DIR: stateDir,
        CLUSTER_TEMPORAL_PORT: String(ports.temporal),
        CLUSTER_UI_PORT: String(ports.ui),
        INTAKE_PORT: String(ports.intake),
        API_PORT: String(ports.api),
        WORKERS: '2',
        RUNBOOKS_CONFIG: configFile,
      },
    });
    exited = new Promise((resolve) => cluster.once('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      const collect = (c: Buffer) => {
        output += c.toString();
        if (output.includes('CLUSTER READY')) resolve();
      };
      cluster.stdout!.on('data', collect);
      cluster.stderr!.on('data', collect);
      void exited.then((code) =>
        reject(new Error(`npm run cluster exited (${code}) before it was ready:\n${output}`)),
      );
    });
    connection = await Connection.connect({ address: `127.0.0.1:${ports.temporal}` });
    client = new Client({ connection });
  }, 300_000);

  afterAll(async () => {
    await connection?.close();
    if (cluster?.exitCode === null) {
      cluster.kill('SIGINT');
      await exited;
    }
  });

  test('an alert through the proxy starts an incident on PostgreSQL that pages, and the UI shows it', async () => {
    const dedupKey = `cluster-${Date.now()}`;
    const posted = await postAlert(dedupKey, 'checkout failing on the cluster');
    expect(posted.status).toBe(202);
    const workflowId = posted.workflowId!;
    const handle = client.workflow.getHandle(workflowId);
    const view = await eventually(
      async () => {
        const v = await handle.query(statusQuery);
        expect(v.paged.length).toBeGreaterThan(0);
        return v;
      },
      60_000,
      250,
    );
    expect(view.summary).toBe('checkout failing on the cluster');
    // The journal the workers write has the page (the view may record it a moment before the line lands).
    await eventually(async () => {
      const journal = existsSync(journalFile)
        ? readFileSync(journalFile, 'utf8')
            .trim()
            .split('\n')
            .map((l) => JSON.parse(l) as { kind: string; incidentId: string })
        : [];
      expect(journal.some((e) => e.incidentId.startsWith(workflowId))).toBe(true);
    }, 30_000);

    // The server keeps it in PostgreSQL (not SQLite), and SQL visibility indexes the incident's attributes.
    const password = readFileSync(path.join(stateDir, 'postgres-password'), 'utf8').trim();
    const serverConfig = readFileSync(path.join(stateDir, 'temporal', 'config.yaml'), 'utf8');
    const pgPort = Number(/connectAddr: 127\.0\.0\.1:(\d+)/.exec(serverConfig)![1]);
    const database = (name: string) =>
      new PgClient({ host: '127.0.0.1', port: pgPort, user: 'temporal', password, database: name });
    const pg = database('temporal');
    await pg.connect();
    try {
      const rows = await pg.query('SELECT 1 FROM current_executions WHERE workflow_id = $1', [workflowId]);
      expect(rows.rowCount).toBe(1);
    } finally {
      await pg.end();
    }
    // The store has its own database there, migrated before the workers and intakes started.
    const store = database('durable_runbooks');
    await store.connect();
    try {
      const applied = await store.query<{ id: string }>('SELECT id FROM schema_migrations ORDER BY id');
      expect(applied.rows.map((r) => r.id)).toEqual(MIGRATIONS.map((m) => m.id));
    } finally {
      await store.end();
    }
    await eventually(async () => {
      const found: string[] = [];
      for await (const w of client.workflow.list({
        query: `IncidentService = "checkout" AND WorkflowId = "${workflowId}"`,
      }))
        found.push(w.workflowId);
      expect(found).toEqual([workflowId]);
    }, 30_000);

    // The Web UI server is its own process, pointed at this cluster.
    const ui = await fetch(
      `http://127.0.0.1:${ports.ui}/api/v1/namespaces/default/workflows/${encodeURIComponent(workflowId)}`,
    );
    expect(ui.status).toBe(200);
    expect(JSON.stringify(await ui.json())).toContain(workflowId);

    // The API serves the store: the incident is there, and a person acknowledges it through the API.
    const { incidentId } = view;
    await eventually(async () => {
      const listed = await api('GET', '/incidents?service=checkout');
      expect((listed.body.incidents as Array<{ id: string }>).map((i) => i.id)).toContain(incidentId);
    }, 30_000);
    expect(await api('POST', `/incidents/${incidentId}/acknowledge`, {})).toMatchObject({
      status: 200,
      body: { status: 'acknowledged' },
    });
    await eventually(async () => {
      expect((await api('GET', `/incidents/${incidentId}`)).body).toMatchObject({
        status: 'acknowledged',
        acknowledgedBy: 'api (this machine)',
      });
    }, 30_000);
    throughApi = { incidentId, workflowId };
  });

  test('an intake replica and a worker killed with SIGKILL are started again; alerts are accepted meanwhile', async () => {
    const before = pids();
    expect(Object.keys(before).sort()).toEqual(
      [
        'intake-1',
        'intake-2',
        'intake-proxy',
        'api',
        'postgres',
        'temporal-server',
        'temporal-ui',
        'worker-1',
        'worker-2',
      ].sort(),
    );
    process.kill(-before['intake-1'], 'SIGKILL');
    process.kill(-before['worker-1'], 'SIGKILL');
    const prefix = `cluster-kill-${Date.now()}`;
    const statuses: number[] = [];
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const posted = await postAlert(`${prefix}-${i}`, `alert ${i} while a replica is down`);
      statuses.push(posted.status);
      if (posted.workflowId) ids.push(posted.workflowId);
    }
    expect(statuses).toEqual(Array(20).fill(202));
    const after = await eventually(
      async () => {
        const now = pids();
        expect(now['intake-1']).not.toBe(before['intake-1']);
        expect(now['worker-1']).not.toBe(before['worker-1']);
        expect(alive(now['intake-1']) && alive(now['worker-1'])).toBe(true);
        return now;
      },
      60_000,
      250,
    );
    expect(output).toMatch(/intake-1 \(pid \d+\) exited \(SIGKILL\)/);
    // Every alert is an incident that pages (on whichever worker).
    for (const id of ids)
      await eventually(
        async () =>
          expect((await client.workflow.getHandle(id).query(statusQuery)).paged.length).toBeGreaterThan(0),
        60_000,
        250,
      );
    for (const id of ids) await client.workflow.getHandle(id).terminate('cluster test done');
    // The restarted intake serves behind the proxy again.
    await eventually(async () =>
      expect((await fetch(`http://127.0.0.1:${ports.intake}/healthz`)).status).toBe(200),
    );
    expect(alive(after['intake-1'])).toBe(true);

    // The incident acknowledged before the kill is noted and resolved through the API; its review, from the
    // store, holds every entry of its timeline, whichever worker wrote which.
    const { incidentId, workflowId } = throughApi!;
    const noted = Date.now();
    expect(await api('POST', `/incidents/${incidentId}/note`, { text: 'after the kill' })).toMatchObject({
      status: 200,
    });
    console.log(`[cluster] the first command after the kill was answered in ${Date.now() - noted} ms`);
    expect(
      await api('POST', `/incidents/${incidentId}/resolve`, { summary: 'fixed on the cluster' }),
    ).toMatchObject({ status: 200 });
    await client.workflow.getHandle(workflowId).result();
    const review = await eventually(async () => {
      const r = await api('GET', `/reviews/${incidentId}`);
      expect(r.status).toBe(200);
      return r.body as { markdown: string; writtenAt: string };
    }, 30_000);
    const stored = (await api('GET', `/incidents/${incidentId}`)).body;
    // Every entry up to the review's writing, but the one that says it was written: on revision 5 that entry
    // carries the workflow task's time, which the review (made inside that task) may not precede.
    const timeline = (stored.timeline as TimelineEntry[]).filter(
      (e) =>
        Date.parse(e.at) <= Date.parse(review.writtenAt) &&
        !e.message.startsWith('post-incident review written'),
    );
    expect(timeline.map((e) => e.type)).toEqual(expect.arrayContaining(['acknowledged', 'note', 'resolved']));
    for (const entry of timeline)
      expect(review.markdown).toContain(timelineLine(entry, stored.createdAt as string));
    // Revision 5 on workers that hold the store: the writes and the review were made where the workflow
    // tasks ran, as local activities (its one run: nothing here continues as new).
    const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
    const here = activityCounts(events, 'recordIncidentHere');
    console.log(
      `[cluster] store writes where the workflow task ran ${here.local}, by the lane ${activityCounts(events, 'recordIncident').scheduled}`,
    );
    expect(here.local).toBeGreaterThan(0);
    expect(activityCounts(events, 'writeStoredReviewHere').local).toBe(1);
  });

  test('SIGINT stops every process of the cluster', async () => {
    // Each supervised process leads its own process group (PostgreSQL's children, tsx's, HAProxy's).
    const groups = new Set(Object.values(pids()));
    const members = () =>
      execFileSync('ps', ['-e', '-o', 'pgid=,pid=,comm='], { encoding: 'utf8' })
        .trim()
        .split('\n')
        .map((line) => line.trim().split(/\s+/))
        .filter(([pgid]) => groups.has(Number(pgid)));
    expect(members().length).toBeGreaterThanOrEqual(groups.size);
    cluster.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(members()).toEqual([]);
  }, 120_000);
});
