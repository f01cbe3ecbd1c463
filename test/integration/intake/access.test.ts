/** The intake without a token (only this machine, only JSON) and while Temporal is down (503, then served). */
import path from 'node:path';
import axios from 'axios';
import { Client, Connection } from '@temporalio/client';
import { incidentWorkflowId } from '../../../intake/incident-id';
import { startTemporalDevServer, freePort } from '../../../scripts/testbed/local-services';
import { testConfig } from '../../../scripts/testbed/config';
import { eventually } from '../../../scripts/testbed/eventually';
import { startDevWorker, type DevWorker } from '../../support/dev-server';
import { startIntake, type RunningIntake } from '../../support/intake';
import { unique } from '../../support/webhooks';
import { describeWith } from '../../../scripts/testbed/services';
import { tempDir } from '../../../scripts/testbed/temporal';

describeWith(['temporal'], 'a token-less intake on a laptop: only this machine, only JSON', () => {
  let dev: DevWorker;
  let intake: RunningIntake;
  const config = testConfig();
  beforeAll(async () => {
    dev = await startDevWorker(config);
    intake = await startIntake({ client: dev.client, config, taskQueue: dev.taskQueue }); // no token
  });
  afterAll(async () => {
    await intake?.close();
    await dev?.close();
  });
  const alert = () => ({
    service: 'checkout',
    summary: 'laptop',
    severity: 'P3',
    dedupKey: `laptop-${unique()}`,
  });

  test('a web page auto-submitting a form (no CORS preflight) is refused before anything starts', async () => {
    const body = new URLSearchParams(alert()).toString();
    const res = await intake.post('/alerts', body, { 'content-type': 'application/x-www-form-urlencoded' });
    expect(res.status).toBe(415);
    expect(res.data.error).toBe('content-type: expected application/json');
    const text = await intake.post('/alerts', JSON.stringify(alert()), { 'content-type': 'text/plain' });
    expect(text.status).toBe(415);
    await expect(
      dev.client.workflow.getHandle(incidentWorkflowId(alert().dedupKey)).describe(),
    ).rejects.toThrow(/not found/i);
  });

  test('DNS rebinding: a request naming another host is refused; loopback names are served', async () => {
    for (const host of ['evil.example:8088', '127.0.0.1.evil.example', '127.evil.example', '10.0.0.7:8088']) {
      const res = await intake.post('/alerts', alert(), { host });
      expect([host, res.status]).toEqual([host, 403]);
      expect(res.data.field).toBe('host');
    }
    for (const host of ['127.0.0.1', 'localhost:8088', '[::1]:8088']) {
      const res = await intake.post('/alerts', alert(), { host });
      expect([host, res.status]).toEqual([host, 202]);
      await dev.client.workflow.getHandle(res.data.incidents[0].workflowId).terminate();
    }
  });
});

describeWith(['temporal'], 'intake while Temporal is down', () => {
  test('answers 503 with Retry-After, and the same post succeeds once Temporal is back', async () => {
    const stateDir = tempDir('temporal-outage-');
    const port = await freePort();
    let server = await startTemporalDevServer(path.join(stateDir, 'a'), { port, headless: true });
    const connection = Connection.lazy({ address: server.address });
    const client = new Client({ connection });
    const intake = await startIntake({ client, config: testConfig(), taskQueue: 'outage-test' });
    try {
      const body = { service: 'checkout', summary: 'outage', dedupKey: `outage-${unique()}` };
      await server.stop();
      const down = await intake.post('/alerts', body);
      expect(down.status).toBe(503);
      expect(down.headers['retry-after']).toBe('10');
      expect((await axios.get(`${intake.url}/readyz`, { validateStatus: () => true })).status).toBe(503);
      server = await startTemporalDevServer(path.join(stateDir, 'a'), { port, headless: true });
      const up = await eventually(
        async () => {
          const res = await intake.post('/alerts', body);
          expect(res.status).toBe(202);
          return res;
        },
        30_000,
        500,
      );
      expect(up.data.incidents[0]).toMatchObject({
        workflowId: incidentWorkflowId(body.dedupKey),
        deduplicated: false,
      });
    } finally {
      await intake.close();
      await connection.close();
      await server.stop();
    }
  });
});
