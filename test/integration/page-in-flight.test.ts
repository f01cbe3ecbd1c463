/**
 * A page handed to a worker that then dies is lost with it. The pager's activities heartbeat and the workflow
 * gives them a 5 s heartbeat timeout, so the server notices within seconds and another worker pages; the
 * start-to-close timeout alone (30 s) would hold the ladder that long (seen by the restart simulation).
 */
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { killGroup } from '../../scripts/testbed/local-services';
import { statusQuery } from '../../domain/messages';
import { writeTestConfig } from '../../scripts/testbed/config';
import { eventually } from '../../scripts/testbed/eventually';
import { describeWith, serviceValue } from '../../scripts/testbed/services';
import { tempDir, uniqueTaskQueue } from '../../scripts/testbed/temporal';
import { FakePagerDuty } from '../support/fake-saas';
import { spawnWorkerProcess } from '../support/worker-process';
import { startTestIncident } from '../support/dev-server';

const ROUTING_KEY = 'R0PAGEINFLIGHTROUTINGKEY00000001';
/** Half the 30 s start-to-close timeout: a retry by then came from the heartbeat timeout. */
const RETRY_WITHIN_MS = 15_000;

describeWith(['temporal'], 'a page in flight when its worker is killed', () => {
  let connection: Connection;
  let client: Client;
  const pd = new FakePagerDuty();
  const workers: ChildProcess[] = [];

  beforeAll(async () => {
    await pd.start();
    connection = await Connection.connect({ address: serviceValue('temporal') });
    client = new Client({ connection });
  });
  afterAll(async () => {
    for (const w of workers) await killGroup(w, 1000);
    await connection?.close();
    await pd.stop();
  });

  test('is paged again by the next worker within seconds, not after the 30 s activity timeout', async () => {
    const dir = tempDir('page-in-flight-');
    const configFile = writeTestConfig(dir, {
      pagerduty: { eventsUrl: pd.eventsUrl },
      journal: { file: path.join(dir, 'notifications.jsonl') },
    });
    const taskQueue = uniqueTaskQueue('page-in-flight');
    const startWorker = () => {
      const child = spawnWorkerProcess(taskQueue, {
        RUNBOOKS_CONFIG: configFile,
        PD_ROUTING_KEY_PRIMARY: ROUTING_KEY,
      });
      workers.push(child);
      return child;
    };
    const first = startWorker();
    pd.latencyMs = 60_000; // PagerDuty holds the first page: it is in flight when the worker dies
    const handle = await startTestIncident(client, taskQueue, 'page-in-flight');
    try {
      await eventually(async () => expect(pd.requests).toHaveLength(1), 60_000, 50);
      process.kill(-first.pid!, 'SIGKILL');
      const killedAt = Date.now();
      pd.latencyMs = 0;
      startWorker();

      const view = await eventually(
        async () => {
          const v = await handle.query(statusQuery);
          expect(v.paged.find((p) => p.level === 0)?.delivered).toBe(true);
          return v;
        },
        60_000,
        200,
      );
      const retry = pd.requests[1];
      expect(retry.body.dedup_key).toBe(pd.requests[0].body.dedup_key); // the same page, not a second one
      expect(retry.at - killedAt).toBeLessThan(RETRY_WITHIN_MS);
      expect(view.paged.filter((p) => p.level === 0)).toHaveLength(1);
      console.log(`page retried ${retry.at - killedAt} ms after its worker was killed`);
    } finally {
      await handle.terminate('test finished').catch(() => undefined);
    }
  });
});
