/**
 * Engine revisions 4 and 5 on two worker processes (`npm run worker`, each with a disk of its own, as two pods have)
 * sharing one PostgreSQL store: an incident whose timeline far outgrows what its workflow keeps, whose work
 * ran on both, and one of whose workers is killed mid-incident, still gets a review holding every entry, in
 * the store and in the API. (On the journal of earlier revisions, the entries a dead pod wrote were lost.)
 * Revision 4 writes by the record lane; revision 5 where the incident's workflow task runs.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { sendCommand } from '../../intake/commands';
import { buildApiServer } from '../../intake/api/server';
import { numberedTimeline, openStore, reviewOf, type SqlClient } from '../../store';
import { killGroup } from '../../scripts/testbed/local-services';
import { testConfig, writeTestConfig } from '../../scripts/testbed/config';
import { eventually } from '../../scripts/testbed/eventually';
import { describeWith, serviceValue } from '../../scripts/testbed/services';
import { tempDir, uniqueTaskQueue } from '../../scripts/testbed/temporal';
import { startTestIncident } from '../support/dev-server';
import { activityCounts, activityWorkers, allRunsEvents } from '../support/history-checks';
import { freshPostgres } from '../support/fresh-postgres';
import { spawnWorkerProcess } from '../support/worker-process';

const NOTES = 80;

describeWith(['temporal', 'postgres'], 'the system of record on two workers', () => {
  let connection: Connection;
  let client: Client;
  let db: SqlClient;
  const workers: ChildProcess[] = [];

  beforeAll(async () => {
    connection = await Connection.connect({ address: serviceValue('temporal') });
    client = new Client({ connection });
  });
  afterEach(async () => {
    for (const w of workers.splice(0)) await killGroup(w, 1000);
  });
  afterAll(async () => {
    await db?.close();
    await connection?.close();
  });

  test.each([4, 5])(
    'revision %i: a worker killed mid-incident, the review still holds every entry',
    async (revision) => {
      const where = await freshPostgres(`lane${revision}`);
      if (!('databaseUrl' in where)) throw new Error('freshPostgres gave no URL');
      await db?.close();
      db = await openStore(where);
      const root = tempDir('store-lane-');
      const configFile = writeTestConfig(root, {
        engine: { revision },
        // The workflow keeps 20 entries and continues as new every 200 events: the store must keep the rest.
        history: { keepTimelineEntries: 20, continueAsNewAfterEvents: 200 },
        journal: { file: path.join(root, 'notifications.jsonl') },
      });
      const taskQueue = uniqueTaskQueue(`store-lane-${revision}`);
      const dirs = ['pod-a', 'pod-b'].map((pod) => path.join(root, pod));
      const [podA] = dirs.map((dir) => {
        const child = spawnWorkerProcess(
          taskQueue,
          { RUNBOOKS_CONFIG: configFile, RUNBOOKS_DATA_DIR: dir, DATABASE_URL: where.databaseUrl },
          `${dir}.log`,
        );
        workers.push(child);
        return child;
      });

      const handle = await startTestIncident(client, taskQueue, 'store-lane');
      const note = (i: number) =>
        sendCommand(handle, 'addNote', { by: 'alice', text: `note ${i} of ${NOTES}` });
      for (let i = 1; i <= NOTES / 2; i++) await note(i);
      // Half the notes are in the store before one pod dies (the lane's writes go to either pod).
      const recorded = await eventually(async () => {
        const { rows } = await db.query<{ n: number }>(
          'SELECT count(*)::integer AS n FROM timeline_events WHERE incident_id LIKE $1',
          [`${handle.workflowId}-%`],
        );
        expect(rows[0].n).toBeGreaterThan(NOTES / 2);
        return rows[0].n;
      }, 60_000);
      process.kill(-podA.pid!, 'SIGKILL');
      for (let i = NOTES / 2 + 1; i <= NOTES; i++) await note(i);
      await sendCommand(handle, 'resolve', { by: 'alice', summary: 'fixed by the test' });
      const outcome = await handle.result();
      expect(outcome.status).toBe('resolved');
      // Its activities ran on both pods.
      const runs = await allRunsEvents(client, handle.workflowId, handle.firstExecutionRunId);
      const ranOn = activityWorkers(runs.flat());
      const writes = activityCounts(runs.flat(), revision === 4 ? 'recordIncident' : 'recordIncidentHere');
      const byLane = activityCounts(runs.flat(), 'recordIncident').scheduled;
      console.log(
        `store lane, revision ${revision}: ${runs.length} runs; activity attempts by worker: ${JSON.stringify([...ranOn])}; writes by the lane ${byLane}, where the workflow task ran ${writes.local}`,
      );
      expect(ranOn.size).toBe(2);
      // Revision 4 writes by the lane only; revision 5 where the loop runs (the lane takes a write that fails
      // there: a write cut by the kill, or one slower than its 2 s).
      if (revision === 4) expect(writes).toEqual({ scheduled: expect.any(Number), local: 0 });
      else expect(writes.local).toBeGreaterThan(Math.max(NOTES / 2, 4 * byLane));
      // The review: by the lane on revision 4, where the workflow task ran on revision 5.
      const reviews = [
        activityCounts(runs.flat(), 'writeStoredReview'),
        activityCounts(runs.flat(), 'writeStoredReviewHere'),
      ];
      expect(reviews.map((r) => r.scheduled + r.local)).toEqual(revision === 4 ? [1, 0] : [0, 1]);

      // The whole timeline, numbered without a gap, every note in it.
      const timeline = await numberedTimeline(db, outcome.incidentId);
      expect(timeline.map(([seq]) => seq)).toEqual(timeline.map((_, k) => k));
      const messages = timeline.map(([, e]) => e.message);
      for (let i = 1; i <= NOTES; i++) expect(messages).toContain(`note ${i} of ${NOTES}`);
      expect(messages.some((m) => m.startsWith('history kept small: continuing as run'))).toBe(true);
      expect(timeline.length).toBeGreaterThan(recorded);

      // The review: every entry up to its writing, in the store, on the surviving pod's disk, and in the API.
      const review = await eventually(async () => {
        const r = await reviewOf(db, outcome.incidentId);
        expect(r).not.toBeNull();
        return r!;
      }, 30_000);
      for (let i = 1; i <= NOTES; i++) expect(review.markdown).toContain(`note ${i} of ${NOTES}`);
      expect(review.markdown).not.toContain('were never stored');
      expect(review).toMatchObject({
        resolution: 'fixed by the test',
        whatHappened: 'store-lane test incident',
      });
      const file = path.join(dirs[1], outcome.reviewPath!);
      expect(existsSync(file)).toBe(true);
      expect(readFileSync(file, 'utf8')).toBe(review.markdown);

      const api = await buildApiServer({ db, config: testConfig(), version: 'test' });
      const base = await api.listen({ host: '127.0.0.1', port: 0 });
      try {
        const fromApi = (await (await fetch(`${base}/api/v1/reviews/${outcome.incidentId}`)).json()) as {
          markdown: string;
        };
        expect(fromApi.markdown).toBe(review.markdown);
        const incident = (await (await fetch(`${base}/api/v1/incidents/${outcome.incidentId}`)).json()) as {
          status: string;
          timeline: unknown[];
          notifications: { channel: string }[];
        };
        expect(incident.status).toBe('resolved');
        expect(incident.timeline).toHaveLength(timeline.length);
        expect(incident.notifications.some((n) => n.channel === 'page')).toBe(true);
        const missing = await fetch(`${base}/api/v1/reviews/nobody`);
        expect(missing.status).toBe(404);
      } finally {
        await api.close();
      }
    },
    240_000,
  );
});
