/**
 * A Temporal that refuses an alert for good (INVALID_ARGUMENT: here a dev server whose blob limit is 20 kB,
 * a limit a Temporal operator may set) gets 400 naming the cause, not 503: Alertmanager retries 5xx for
 * ever and drops 4xx, so a 503 would be a retry loop of an alert that can never be taken. The same server
 * takes a small alert; a server that is down still gets 503.
 */
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { buildIntakeServer } from '../../../intake/server';
import {
  killGroup,
  startTemporalDevServer,
  type TemporalDevServer,
} from '../../../scripts/testbed/local-services';
import { testConfig } from '../../../scripts/testbed/config';
import { describeWith } from '../../../scripts/testbed/services';
import { tempDir, uniqueTaskQueue } from '../../../scripts/testbed/temporal';

const BLOB_LIMIT = 20_000;

function alertmanagerGroup(alerts: number, summaryChars: number) {
  return {
    version: '4',
    groupKey: `{}:{alertname="Big${alerts}"}`,
    status: 'firing',
    receiver: 'durable-runbooks',
    groupLabels: { alertname: `Big${alerts}` },
    commonLabels: { alertname: `Big${alerts}`, service: 'checkout', severity: 'critical' },
    commonAnnotations: {},
    externalURL: 'http://alertmanager:9093',
    alerts: Array.from({ length: alerts }, (_, i) => ({
      status: 'firing',
      labels: { alertname: `Big${alerts}`, service: 'checkout', severity: 'critical', pod: `pod-${i}` },
      annotations: { summary: `pod ${i}: ${'x'.repeat(summaryChars)}` },
      startsAt: '2026-12-06T10:00:00Z',
      fingerprint: `f${i}`,
    })),
  };
}

describeWith(['temporal'], 'an alert Temporal refuses for good', () => {
  let server: TemporalDevServer;
  let connection: Connection;
  let intake: FastifyInstance;
  let url: string;

  beforeAll(async () => {
    server = await startTemporalDevServer(tempDir('blob-limit-'), {
      headless: true,
      dynamicConfig: { 'limit.blobSize.error': BLOB_LIMIT, 'limit.blobSize.warn': BLOB_LIMIT / 2 },
    });
    connection = await Connection.connect({ address: server.address });
    const client = new Client({ connection });
    intake = await buildIntakeServer({ client, config: testConfig(), taskQueue: uniqueTaskQueue('refusal') });
    url = await intake.listen({ host: '127.0.0.1', port: 0 });
  }, 90_000);
  afterAll(async () => {
    await intake?.close();
    await connection?.close();
    if (server) await killGroup(server.child, 2000);
  });

  const post = (body: unknown) =>
    fetch(`${url}/alerts/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  test('over the blob limit: 400 naming the cause; under it: 202', async () => {
    const big = alertmanagerGroup(60, 500);
    expect(JSON.stringify(big).length).toBeGreaterThan(BLOB_LIMIT);
    const refused = await post(big);
    const body = (await refused.json()) as { error: string; field: string };
    expect(refused.status).toBe(400);
    expect(body.field).toBe('body');
    expect(body.error).toMatch(
      /^Temporal refused this alert for good \(retrying cannot help\): .*(size|limit)/i,
    );

    const small = await post(alertmanagerGroup(1, 20));
    expect(small.status).toBe(202);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(
      /durable_runbooks_intake_posts_total\{source="alertmanager",outcome="refused"\} 1/,
    );
    expect(metrics).toMatch(
      /durable_runbooks_intake_responses_total\{route="\/alerts\/alertmanager",code="400"\} 1/,
    );
  }, 60_000);

  test('a Temporal that is down is still 503, to be retried', async () => {
    await killGroup(server.child, 2000);
    // A group not posted before (a resend of one would be answered from the resend window, without Temporal).
    const down = await post(alertmanagerGroup(2, 20));
    expect(down.status).toBe(503);
  }, 60_000);
});
