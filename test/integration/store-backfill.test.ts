/**
 * `durable-runbooks store backfill`: the incidents Temporal holds, written into a fresh PostgreSQL store as their
 * workflows show them (row, whole timeline, pages), by the command a user runs; run again, it writes nothing.
 */
import { acknowledgeSignal, statusQuery } from '../../domain/messages';
import type { IncidentStatusView } from '../../domain/types';
import { openStore, timelineOf, type SqlClient } from '../../store';
import { testConfig } from '../../scripts/testbed/config';
import { eventually } from '../../scripts/testbed/eventually';
import { describeWith, serviceValue } from '../../scripts/testbed/services';
import { runCli } from '../support/cli-process';
import { startDevWorker, startTestIncident, type DevWorker } from '../support/dev-server';
import { freshPostgres } from '../support/fresh-postgres';

describeWith(['temporal', 'postgres'], 'durable-runbooks store backfill', () => {
  let dev: DevWorker;
  let databaseUrl: string;
  let db: SqlClient;
  beforeAll(async () => {
    const location = await freshPostgres('backfill');
    if (!('databaseUrl' in location)) throw new Error('a PostgreSQL location was expected');
    databaseUrl = location.databaseUrl;
    db = await openStore(location);
    dev = await startDevWorker(testConfig());
  });
  afterAll(async () => {
    await dev?.close();
    await db?.close();
  });

  const backfill = () =>
    runCli(['store', 'backfill', '--since', '1h', '--json'], {
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: serviceValue('temporal'),
      TEMPORAL_TASK_QUEUE: dev.taskQueue,
    });

  test('writes every incident, the timeline and the pages it holds, once', async () => {
    const acked = await startTestIncident(dev.client, dev.taskQueue, 'backfill-a');
    const open = await startTestIncident(dev.client, dev.taskQueue, 'backfill-b', { severity: 'P2' });
    await acked.signal(acknowledgeSignal, { by: 'alice' });
    await eventually(async () => {
      const [a, b] = await Promise.all([acked.query(statusQuery), open.query(statusQuery)]);
      expect(a.status).toBe('acknowledged');
      expect(b.paged.length).toBeGreaterThan(0);
    }, 30_000);
    // Ended, so nothing changes between the views read here and the ones the command reads.
    await Promise.all([acked.terminate('frozen for the test'), open.terminate('frozen for the test')]);
    const views: IncidentStatusView[] = await Promise.all([
      acked.query(statusQuery),
      open.query(statusQuery),
    ]);

    const first = await backfill();
    expect({ code: first.code, stderr: first.stderr }).toEqual({ code: 0, stderr: '' });
    const totals = views.reduce((n, v) => ({ t: n.t + v.timeline.length, p: n.p + v.paged.length }), {
      t: 0,
      p: 0,
    });
    expect(JSON.parse(first.stdout)).toMatchObject({
      incidents: 2,
      created: 2,
      timelineAdded: totals.t,
      pagesAdded: totals.p,
      unreadable: [],
    });

    const { rows } = await db.query<{
      id: string;
      status: string;
      severity: string;
      acknowledged_by: string | null;
    }>('SELECT id, status, severity, acknowledged_by FROM incidents ORDER BY id');
    expect(rows).toEqual(
      views
        .map((v) => ({
          id: v.incidentId,
          status: v.status,
          severity: v.severity,
          acknowledged_by: v.acknowledgedBy,
        }))
        .sort((x, y) => x.id.localeCompare(y.id)),
    );
    expect(rows.find((r) => r.id === views[0].incidentId)).toMatchObject({
      status: 'acknowledged',
      acknowledged_by: 'alice',
    });
    for (const view of views) {
      expect(await timelineOf(db, view.incidentId)).toEqual(view.timeline);
      const pages = await db.query<{ channel: string; level_name: string; delivered: boolean }>(
        'SELECT channel, level_name, delivered FROM notifications WHERE incident_id = $1 ORDER BY at, key',
        [view.incidentId],
      );
      expect(pages.rows).toEqual(
        view.paged.map((p) => ({ channel: p.channel, level_name: p.levelName, delivered: p.delivered })),
      );
    }

    const again = await backfill();
    expect({ code: again.code, stderr: again.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(again.stdout)).toMatchObject({
      incidents: 2,
      created: 0,
      timelineAdded: 0,
      pagesAdded: 0,
    });
    const counted = await db.query<{ n: number }>('SELECT count(*)::integer AS n FROM timeline_events');
    expect(counted.rows[0].n).toBe(totals.t);
  }, 90_000);

  test('says so and exits 3 when Temporal cannot be reached', async () => {
    const run = await runCli(['store', 'backfill'], {
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: '127.0.0.1:1',
    });
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/cannot reach Temporal at 127\.0\.0\.1:1/);
    expect(run.stderr).not.toContain(new URL(databaseUrl).password || '\u0000');
  }, 30_000);
});
