/**
 * The intake without a token (only this machine, only JSON), its rate buckets with one, and while Temporal is
 * down (503, then served).
 */
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
import { describeWith, serviceValue } from '../../../scripts/testbed/services';
import { tempDir, uniqueTaskQueue } from '../../../scripts/testbed/temporal';

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

describeWith(['temporal'], 'rate buckets behind one address (an ingress)', () => {
  test('a flood without the token fills its own smaller bucket; the senders with the token are still served', async () => {
    const connection = await Connection.connect({ address: serviceValue('temporal') });
    const client = new Client({ connection });
    const token = 'rate-bucket-test-token-0123456789abcdef';
    const config = testConfig({ intake: { rateLimit: { max: 8, unauthenticatedMax: 3, window: '60s' } } });
    // Nobody polls this queue: accepted alerts start incidents that wait.
    const intake = await startIntake({ client, config, taskQueue: uniqueTaskQueue('buckets'), token });
    const alert = () => ({
      service: 'checkout',
      summary: 'bucket',
      severity: 'P3',
      dedupKey: `rb-${unique()}`,
    });
    try {
      // Everyone comes from 127.0.0.1, as from an ingress: 3 posts without the token, then 429s for them.
      const flood = await Promise.all(
        Array.from({ length: 20 }, () => intake.post('/alerts', alert(), { authorization: '' })),
      );
      expect(flood.filter((r) => r.status === 401)).toHaveLength(3);
      const limited = flood.filter((r) => r.status === 429);
      expect(limited).toHaveLength(17);
      expect(limited[0].data.error).toMatch(
        /^rate limit: more than 3 requests in 60 s from this address without the intake token; retry after \d+ s$/,
      );
      // The token's bucket is untouched: 8 posts accepted, the 9th limited (its bucket, not the flood's).
      const senders = [];
      for (let i = 0; i < 9; i++) senders.push(await intake.post('/alerts', alert())); // with the token
      expect(senders.map((r) => r.status)).toEqual([202, 202, 202, 202, 202, 202, 202, 202, 429]);
      expect(senders[8].data.error).toMatch(
        /^rate limit: more than 8 requests in 60 s from this address; retry/,
      );
      for (const r of senders.slice(0, 8))
        await client.workflow.getHandle(r.data.incidents[0].workflowId).terminate();
    } finally {
      await intake.close();
      await connection.close();
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
