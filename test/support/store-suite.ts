/**
 * The store's checks, one list for both engines. On PostgreSQL jest runs them in-process; PGlite loads its
 * WASM through a dynamic import that jest's module system refuses (without --experimental-vm-modules), so
 * for PGlite this file runs as its own node process: `node -r tsx/cjs test/support/store-suite.ts <dir>`
 * prints `ok <check>` per check passed and exits 1 at the first failure.
 */
import assert from 'node:assert/strict';
import {
  appendTimeline,
  auditOf,
  BadCursor,
  claimRequest,
  createToken,
  incidentDetail,
  listIncidents,
  listTokens,
  openStore,
  purgeClosedBefore,
  purgeExpiredClaims,
  publishStatusUpdate,
  serviceOverrides,
  setServiceOverride,
  statusUpdatesSince,
  recordAudit,
  recordIncidentView,
  recordPages,
  responseTimes,
  releaseRequest,
  reviewOf,
  revokeToken,
  saveReview,
  editReview,
  timelineOf,
  tokenContact,
  tokensIssued,
  upsertIncident,
  claimReminder,
  dueStatusReminders,
  releaseReminder,
  type SqlClient,
} from '../../store';
import { migrate } from '../../store/migrate';
import { MIGRATIONS } from '../../store/migrations';
import type { StoreLocation } from '../../store/sql-client';
import type { IncidentStatusView, TimelineEntry } from '../../domain/types';

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

export interface StoreCheck {
  name: string;
  run(db: SqlClient, location: StoreLocation, log: (line: string) => void): Promise<void>;
}

export const STORE_CHECKS: StoreCheck[] = [
  {
    name: 'an empty database gets every migration once; opening again, or twice at once, changes nothing',
    async run(db, location) {
      const { rows } = await db.query<{ id: string }>('SELECT id FROM schema_migrations ORDER BY id');
      assert.deepEqual(
        rows.map((r) => r.id),
        MIGRATIONS.map((m) => m.id),
      );
      assert.deepEqual(await migrate(db), []);
      // Two processes starting at once take turns on the advisory lock (PGlite: one process per directory).
      if (db.engine === 'postgres') {
        const [a, b] = [await openStore(location), await openStore(location)];
        assert.deepEqual(await Promise.all([migrate(a), migrate(b)]), [[], []]);
        await Promise.all([a.close(), b.close()]);
      }
      const tables = await db.query<{ table_name: string }>(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
      );
      assert.deepEqual(
        tables.rows.map((r) => r.table_name),
        [
          'action_items',
          'api_tokens',
          'audit',
          'incidents',
          'notifications',
          'request_claims',
          'reviews',
          'schema_migrations',
          'service_status_overrides',
          'status_updates',
          'timeline_events',
        ],
      );
    },
  },
  {
    name: 'a later migration runs once on a store at the previous version',
    async run(db) {
      const next = { id: '9999_test_only', sql: 'CREATE TABLE test_only_upgrade (x integer);' };
      assert.deepEqual(await migrate(db, [...MIGRATIONS, next]), ['9999_test_only']);
      assert.deepEqual(await migrate(db, [...MIGRATIONS, next]), []);
      await db.exec(
        "DROP TABLE test_only_upgrade; DELETE FROM schema_migrations WHERE id = '9999_test_only'",
      );
    },
  },
  {
    name: 'a store at the previous version (0006) is upgraded by the newest migration alone',
    async run(db) {
      await db.exec(
        "ALTER TABLE incidents DROP COLUMN roles; DELETE FROM schema_migrations WHERE id = '0007_roles'",
      );
      assert.deepEqual(await migrate(db), ['0007_roles']);
      assert.deepEqual(await migrate(db), []);
    },
  },
  {
    name: 'request claims: the first claim wins, a replay loses until the window ends or the claim is given back',
    async run(db, location) {
      const key = `slack:v0=${db.engine}-claim`;
      const at = (s: number) => new Date(T0 + s * 1000);
      assert.equal(await claimRequest(db, key, 600_000, at(0)), true);
      assert.equal(await claimRequest(db, key, 600_000, at(599)), false);
      assert.equal(await claimRequest(db, key, 600_000, at(600)), true); // expired: claimed anew
      await releaseRequest(db, key);
      assert.equal(await claimRequest(db, key, 600_000, at(601)), true);
      // Two replicas claiming at once (two connections): exactly one handles the request.
      if (db.engine === 'postgres') {
        const replicas = [await openStore(location), await openStore(location)];
        const raced = await Promise.all(replicas.map((r) => claimRequest(r, `${key}-raced`, 600_000, at(0))));
        assert.deepEqual(raced.sort(), [false, true]);
        await Promise.all(replicas.map((r) => r.close()));
      }
      assert.equal(await purgeExpiredClaims(db, at(1200)), db.engine === 'postgres' ? 1 : 0);
      assert.equal(await purgeExpiredClaims(db, at(1202)), 1);
      assert.equal(await claimRequest(db, key, 600_000, at(1203)), true);
      await releaseRequest(db, key);
    },
  },
  {
    name: 'status page: an update keyed by its request is published once; overrides set and withdrawn',
    async run(db) {
      const id = `inc-${db.engine}-status`;
      const update = {
        incidentId: id,
        service: 'checkout',
        title: 'Checkout errors',
        status: 'investigating' as const,
        message: "line one\nit's <b>text</b>",
        impact: null,
        eta: '1 h',
        nextUpdateAt: new Date(T0 + 1_800_000).toISOString(),
        author: 'Alice',
        publishedAt: new Date(T0).toISOString(),
        requestKey: `${id}-1`,
      };
      const first = await publishStatusUpdate(db, update);
      const retried = await publishStatusUpdate(db, { ...update, message: 'a retry' });
      assert.deepEqual([first.first, retried.first], [true, false]);
      assert.deepEqual(retried.update, first.update);
      assert.equal(first.update.message, "line one\nit's <b>text</b>");
      await publishStatusUpdate(db, {
        ...update,
        status: 'resolved',
        publishedAt: new Date(T0 + 1000).toISOString(),
        requestKey: undefined,
      });
      const since = await statusUpdatesSince(db, new Date(T0).toISOString());
      assert.deepEqual(
        since.filter((u) => u.incidentId === id).map((u) => u.status),
        ['resolved', 'investigating'],
      );
      await setServiceOverride(db, 'checkout', {
        health: 'degraded',
        reason: null,
        setBy: 'Bob',
        setAt: new Date(T0).toISOString(),
      });
      await setServiceOverride(db, 'checkout', {
        health: 'major_outage',
        reason: 'r',
        setBy: 'Bob',
        setAt: new Date(T0).toISOString(),
      });
      assert.deepEqual(
        (await serviceOverrides(db)).map((o) => [o.service, o.health, o.reason]),
        [['checkout', 'major_outage', 'r']],
      );
      await setServiceOverride(db, 'checkout', null);
      assert.deepEqual(await serviceOverrides(db), []);

      // Reminders: an open incident whose newest update's next one is due, once; given back, due again.
      const open = `${id}-open`;
      await upsertIncident(db, { ...incident(open, 'acknowledged', T0), service: 'checkout' });
      await publishStatusUpdate(db, { ...update, incidentId: open, requestKey: `${open}-1` });
      const due = (at: number) =>
        dueStatusReminders(db, new Date(at).toISOString()).then((r) =>
          r.filter((d) => d.incidentId === open),
        );
      assert.deepEqual(await due(T0 + 1_799_999), []);
      const [reminder] = await due(T0 + 1_800_000);
      assert.equal(reminder.workflowId, `wf-${open}`);
      assert.deepEqual(
        [await claimReminder(db, reminder.updateId), await claimReminder(db, reminder.updateId)],
        [true, false],
      );
      assert.deepEqual(await due(T0 + 1_800_000), []);
      await releaseReminder(db, reminder.updateId);
      assert.equal((await due(T0 + 1_800_000)).length, 1);
      // Once a commander is named (revision 7's roles), the reminder names them instead of the acknowledger.
      await upsertIncident(db, {
        ...incident(open, 'acknowledged', T0 + 1),
        service: 'checkout',
        roles: { commander: 'Amy Commander', scribe: 'Sam' },
      });
      assert.equal((await due(T0 + 1_800_000))[0].acknowledgedBy, 'Amy Commander');
      assert.deepEqual((await incidentDetail(db, open))?.roles, {
        commander: 'Amy Commander',
        scribe: 'Sam',
      });
      // An open incident whose newest update says "resolved" (the first one above) promises no next one.
      await upsertIncident(db, incident(id, 'acknowledged', T0));
      assert.deepEqual(
        (await dueStatusReminders(db, new Date(T0 + 9e9).toISOString())).filter((d) => d.incidentId === id),
        [],
      );
    },
  },
  {
    name: 'API tokens: only a hash is kept; a token names its contact until revoked',
    async run(db) {
      assert.equal(await tokensIssued(db), false);
      const { id, token } = await createToken(db, 'alice', 'laptop');
      assert.match(token, /^drb_[\w-]{43}$/);
      const stored = await db.query<{ hash: string }>('SELECT hash FROM api_tokens WHERE id = $1', [id]);
      assert.notEqual(stored.rows[0].hash, token);
      assert.ok(!JSON.stringify(stored.rows).includes(token));
      assert.equal(await tokensIssued(db), true);
      assert.equal(await tokenContact(db, token), 'alice');
      assert.equal(await tokenContact(db, `${token}x`), null);
      assert.equal(await tokenContact(db, 'not-a-token'), null);
      assert.ok((await listTokens(db)).find((t) => t.id === id)?.lastUsedAt);
      assert.equal(await revokeToken(db, id), true);
      assert.equal(await revokeToken(db, id), false);
      assert.equal(await revokeToken(db, 'x; DROP TABLE api_tokens'), false);
      assert.equal(await tokenContact(db, token), null);
      assert.equal(await tokensIssued(db), false);
    },
  },
  {
    name: 'reviews: the newest write wins, a late older one changes nothing; audit rows keyed by request once',
    async run(db) {
      const id = `inc-${db.engine}-review`;
      const review = (markdown: string, at: number) => ({
        incidentId: id,
        markdown,
        whatHappened: 'checkout down',
        why: null,
        detection: 'alert',
        resolution: 'restarted',
        prevention: null,
        writtenAt: new Date(at).toISOString(),
      });
      await saveReview(db, review('first', T0));
      await saveReview(db, review('second', T0 + 1000));
      await saveReview(db, review('late retry of the first', T0 + 500));
      assert.equal((await reviewOf(db, id))?.markdown, 'second');
      assert.equal(await reviewOf(db, `${id}-none`), null);
      // A person's answers: only the fields named change, and a rewrite at a later close keeps them.
      const edited = await editReview(db, id, { why: 'a bad deploy', prevention: null });
      assert.deepEqual([edited?.why, edited?.detection, edited?.prevention], ['a bad deploy', 'alert', null]);
      assert.equal(await editReview(db, `${id}-none`, { why: 'x' }), null);
      await saveReview(db, review('after a reopen', T0 + 2000));
      const rewritten = await reviewOf(db, id);
      assert.deepEqual([rewritten?.markdown, rewritten?.why], ['after a reopen', 'a bad deploy']);
      const entry = {
        actor: 'Alice (api:alice)',
        surface: 'api' as const,
        action: 'acknowledge',
        incidentId: id,
      };
      await recordAudit(db, { ...entry, answer: 'acknowledged', requestKey: `${id}-1` });
      await recordAudit(db, { ...entry, answer: 'acknowledged', requestKey: `${id}-1` });
      await recordAudit(db, { ...entry, action: 'note', answer: 'note added' });
      assert.deepEqual(
        (await auditOf(db, id)).map((a) => [a.actor, a.surface, a.action, a.answer]),
        [
          ['Alice (api:alice)', 'api', 'acknowledge', 'acknowledged'],
          ['Alice (api:alice)', 'api', 'note', 'note added'],
        ],
      );
    },
  },
  {
    name: 'a page is written when sent and changes once when its answer comes',
    async run(db) {
      const id = `inc-${db.engine}-pages`;
      const page = (delivered: boolean) => ({
        at: new Date(T0).toISOString(),
        level: 0,
        levelName: 'primary',
        contactIds: ['alice'],
        contacts: ['Alice'],
        channel: 'page' as const,
        reason: 'first rung',
        delivered,
        seq: 1,
      });
      assert.equal(await recordPages(db, id, [page(false)]), 1);
      assert.equal(await recordPages(db, id, [page(true)]), 1);
      assert.equal(await recordPages(db, id, [page(true)]), 0);
      const rows = await db.query('SELECT delivered FROM notifications WHERE incident_id = $1', [id]);
      assert.deepEqual(rows.rows, [{ delivered: true }]);
    },
  },
  {
    name: 'retention removes closed incidents past it with all their rows; open ones stay whatever their age',
    async run(db) {
      const at = (days: number) => new Date(T0 - days * 86_400_000).getTime();
      const ids = ['old-resolved', 'old-cancelled', 'old-open', 'new-resolved'].map(
        (k) => `ret-${db.engine}-${k}`,
      );
      await upsertIncident(db, incident(ids[0], 'resolved', at(100)));
      await upsertIncident(db, incident(ids[1], 'cancelled', at(100)));
      await upsertIncident(db, incident(ids[2], 'acknowledged', at(100)));
      await upsertIncident(db, incident(ids[3], 'resolved', at(10)));
      for (const id of ids) {
        await appendTimeline(db, id, 0, [entry(0)]);
        await recordAudit(db, { actor: 'a', surface: 'api', action: 'note', incidentId: id, answer: 'ok' });
      }
      assert.equal(await purgeClosedBefore(db, new Date(at(90)).toISOString()), 2);
      const left = await db.query<{ id: string }>(
        'SELECT id FROM incidents WHERE id = ANY($1::text[]) ORDER BY id',
        [ids],
      );
      assert.deepEqual(left.rows.map((r) => r.id).sort(), [ids[2], ids[3]].sort());
      const orphans = await db.query<{ n: number }>(
        `SELECT (SELECT count(*) FROM timeline_events WHERE incident_id = ANY($1::text[]))::integer +
                (SELECT count(*) FROM audit WHERE incident_id = ANY($1::text[]))::integer AS n`,
        [ids.slice(0, 2)],
      );
      assert.equal(orphans.rows[0].n, 0);
      assert.equal((await timelineOf(db, ids[2])).length, 1);
    },
  },
  {
    name: 'an incident is one row with its newest fields; a late older write does not undo a newer one',
    async run(db) {
      const id = `inc-${db.engine}-1`;
      await upsertIncident(db, incident(id, 'triggered', T0));
      await upsertIncident(db, incident(id, 'acknowledged', T0 + 60_000));
      await upsertIncident(db, incident(id, 'triggered', T0 + 1000)); // a retry from before the ack, late
      const { rows } = await db.query(
        'SELECT status, acknowledged_by, (SELECT count(*)::integer FROM incidents WHERE id = $1) AS n FROM incidents WHERE id = $1',
        [id],
      );
      assert.deepEqual(rows, [{ status: 'acknowledged', acknowledged_by: 'alice', n: 1 }]);
    },
  },
  {
    name: 'the timeline is whole and uncapped: 5,000 entries in batches, retried batches stored once, text as data',
    async run(db, _location, log) {
      const id = `inc-${db.engine}-timeline`;
      const entries = Array.from({ length: 5000 }, (_, i) => entry(i));
      let stored = 0;
      const started = Date.now();
      for (let first = 0; first < entries.length; first += 500)
        stored += await appendTimeline(db, id, first, entries.slice(first, first + 500));
      const took = Date.now() - started;
      // A retried activity and a replay write the same batches again.
      assert.equal(await appendTimeline(db, id, 0, entries.slice(0, 500)), 0);
      assert.equal(await appendTimeline(db, id, 4900, entries.slice(4900)), 0);
      assert.equal(stored, 5000);
      assert.deepEqual(await timelineOf(db, id), entries);
      log(`${db.engine}: 5,000 timeline entries in 10 batches in ${took} ms`);
    },
  },
  {
    name: "an incident's team is kept from its first write, and the list filters by it",
    async run(db) {
      const id = (x: string) => `team-${db.engine}-${x}`;
      await upsertIncident(db, { ...incident(id('a'), 'triggered', T0), team: 'db' });
      await upsertIncident(db, { ...incident(id('b'), 'triggered', T0), team: 'app' });
      await upsertIncident(db, incident(id('c'), 'triggered', T0));
      // A later write from a worker that does not know teams (or roles) leaves them as they were.
      await upsertIncident(db, { ...incident(id('a'), 'resolved', T0 + 1000) });
      const listed = await listIncidents(db, { team: 'db', limit: 50 });
      assert.deepEqual(
        listed.incidents.map((r) => [r.id, r.team, r.status]),
        [[id('a'), 'db', 'resolved']],
      );
      assert.equal((await incidentDetail(db, id('b')))?.team, 'app');
      assert.equal((await incidentDetail(db, id('c')))?.team, null);
    },
  },
  {
    name: 'incidents newest first, filtered and paged by cursor: each exactly once; a forged cursor is refused',
    async run(db) {
      const services = ['a', 'b', 'c'].map((x) => `svc-${db.engine}-${x}`);
      const made = [];
      for (let i = 0; i < 300; i++) {
        // Pairs share a creation time, so the order needs the id as well.
        const row = {
          ...incident(
            `list-${db.engine}-${String(i).padStart(3, '0')}`,
            ['triggered', 'resolved'][i % 2],
            T0,
          ),
          service: services[i % 3],
          severity: ['P1', 'P2', 'P3'][i % 3 === 0 ? i % 2 : 2],
          createdAt: new Date(T0 + Math.floor(i / 2) * 60_000).toISOString(),
        };
        await upsertIncident(db, row);
        made.push(row);
      }
      const want = made
        .filter((r) => r.service === services[0] && r.status === 'resolved')
        .sort((x, y) =>
          x.createdAt === y.createdAt ? (x.id < y.id ? 1 : -1) : x.createdAt < y.createdAt ? 1 : -1,
        )
        .map((r) => r.id);
      const got: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await listIncidents(db, { service: services[0], status: 'resolved', limit: 7, cursor });
        got.push(...page.incidents.map((r) => r.id));
        cursor = page.nextCursor ?? undefined;
        pages += 1;
      } while (cursor);
      assert.deepEqual(got, want);
      assert.equal(pages, Math.ceil(want.length / 7));
      const recent = await listIncidents(db, {
        service: services[1],
        since: new Date(T0 + 100 * 60_000).toISOString(),
        limit: 500,
      });
      assert.deepEqual(
        recent.incidents.map((r) => r.id).sort(),
        made
          .filter(
            (r) => r.service === services[1] && r.createdAt >= new Date(T0 + 100 * 60_000).toISOString(),
          )
          .map((r) => r.id)
          .sort(),
      );
      await assert.rejects(listIncidents(db, { limit: 5, cursor: 'not-a-cursor' }), BadCursor);
    },
  },
  {
    name: 'response times per service and severity: mean seconds to acknowledge and to resolve, since a date',
    async run(db) {
      const service = `rt-${db.engine}`;
      const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
      const rows = [
        { ack: 2, resolved: 30, severity: 'P1' },
        { ack: 4, resolved: 50, severity: 'P1' },
        { ack: null, resolved: null, severity: 'P1' },
        { ack: 10, resolved: null, severity: 'P2' },
      ];
      for (const [i, r] of rows.entries())
        await upsertIncident(db, {
          ...incident(`rt-${db.engine}-${i}`, r.resolved ? 'resolved' : 'triggered', T0),
          service,
          severity: r.severity,
          createdAt: at(0),
          acknowledgedAt: r.ack === null ? null : at(r.ack),
          resolvedAt: r.resolved === null ? null : at(r.resolved),
        });
      const mine = (await responseTimes(db, at(-1))).filter((t) => t.service === service);
      assert.deepEqual(mine, [
        {
          service,
          severity: 'P1',
          incidents: 3,
          acknowledged: 2,
          resolved: 2,
          mttaSeconds: 180,
          mttrSeconds: 2400,
        },
        {
          service,
          severity: 'P2',
          incidents: 1,
          acknowledged: 1,
          resolved: 0,
          mttaSeconds: 600,
          mttrSeconds: null,
        },
      ]);
      assert.deepEqual(
        (await responseTimes(db, at(1))).filter((t) => t.service === service),
        [],
      );
    },
  },
  {
    name: 'an incident as its workflow shows it (row, timeline after the journaled part, pages) is written once and read back whole',
    async run(db) {
      const id = `view-${db.engine}`;
      const timeline = [entry(0), entry(1), entry(2)];
      const view = {
        ...incident(id, 'acknowledged', T0),
        incidentId: id,
        workflowId: `wf-${id}`,
        acknowledgedAt: new Date(T0 + 90_000).toISOString(),
        acknowledgedBy: 'alice',
        resolvedAt: null,
        resolvedBy: null,
        timeline,
        timelineJournaled: 40, // entries 0-39 went to the journal: these are 40-42 of the whole timeline
        paged: [
          {
            at: new Date(T0 + 1000).toISOString(),
            level: 0,
            levelName: 'primary',
            contactIds: ['p'],
            contacts: ['Primary, "the" one'],
            channel: 'page',
            reason: 'opened',
            delivered: true,
            seq: 0,
          },
          {
            at: new Date(T0 + 61_000).toISOString(),
            level: 1,
            levelName: 'secondary',
            contactIds: [],
            contacts: [],
            channel: 'slack',
            reason: 'no answer',
            delivered: false,
            seq: 1,
          },
        ],
      } as unknown as IncidentStatusView;
      assert.deepEqual(await recordIncidentView(db, view), {
        created: true,
        timelineAdded: 3,
        pagesAdded: 2,
      });
      assert.deepEqual(await recordIncidentView(db, view), {
        created: false,
        timelineAdded: 0,
        pagesAdded: 0,
      });
      const seqs = await db.query<{ seq: number }>(
        'SELECT seq FROM timeline_events WHERE incident_id = $1 ORDER BY seq',
        [id],
      );
      assert.deepEqual(
        seqs.rows.map((r) => r.seq),
        [40, 41, 42],
      );
      const detail = await incidentDetail(db, id);
      assert.ok(detail);
      assert.equal(detail.status, 'acknowledged');
      assert.equal(detail.acknowledgedBy, 'alice');
      assert.deepEqual(detail.timeline, timeline);
      assert.deepEqual(
        detail.notifications.map((n) => [n.key, n.channel, n.levelName, n.contacts, n.delivered]),
        [
          ['page-0', 'page', 'primary', ['Primary, "the" one'], true],
          ['page-1', 'slack', 'secondary', [], false],
        ],
      );
      assert.equal(await incidentDetail(db, `${id}-none`), null);
    },
  },
];

/** PGlite's own check: one process holds its directory. */
export const PGLITE_HOLDER_CHECK = 'a second opening of the embedded store is refused while it is held';

async function main(dataDir: string) {
  const started = Date.now();
  const db = await openStore({ dataDir });
  console.log(`pglite: opened and migrated an empty store in ${Date.now() - started} ms`);
  try {
    // One holder at a time: a second opening is refused, naming the holder.
    await assert.rejects(openStore({ dataDir }), new RegExp(`held by process ${process.pid}`));
    console.log(`ok ${PGLITE_HOLDER_CHECK}`);
    for (const check of STORE_CHECKS) {
      await check.run(db, { dataDir }, console.log);
      console.log(`ok ${check.name}`);
    }
  } finally {
    await db.close();
  }
}

if (require.main === module)
  main(process.argv[2]).catch((err: Error) => {
    console.error(err.stack ?? err.message);
    process.exit(1);
  });
