import type { AddressInfo } from 'node:net';
import axios from 'axios';
import type { FastifyInstance } from 'fastify';
import { incidentWorkflowId } from '../../../intake/incident-id';
import { buildIntakeServer } from '../../../intake/server';
import { acknowledgeSignal, resolveSignal, statusQuery } from '../../../domain/messages';
import { testConfig } from '../../../scripts/testbed/config';
import { startDevWorker, type DevWorker } from '../../support/dev-server';
import { eventually } from '../../../scripts/testbed/eventually';
import { describeWith } from '../../../scripts/testbed/services';

describeWith(['temporal'], 'first slice on the dev server: POST /alerts → workflow → signals', () => {
  let dev: DevWorker;
  let intake: FastifyInstance;
  let url: string;
  const config = testConfig();

  beforeAll(async () => {
    dev = await startDevWorker(config);
    intake = await buildIntakeServer({ client: dev.client, config, taskQueue: dev.taskQueue });
    await intake.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(intake.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await intake?.close();
    await dev?.close();
  });

  const post = (body: unknown, headers: Record<string, string> = {}) =>
    axios.post(`${url}/alerts`, body, {
      validateStatus: () => true,
      headers: { 'content-type': 'application/json', ...headers },
    });

  test('an alert starts one incident; the same alert again is deduplicated; ack and resolve complete it', async () => {
    const dedupKey = `slice-${Date.now()}`;
    const alert = { service: 'checkout', summary: 'checkout health failing', severity: 'P1', dedupKey };
    const first = await post(alert);
    expect(first.status).toBe(202);
    const [opened] = first.data.incidents;
    expect(opened).toEqual({
      workflowId: incidentWorkflowId(dedupKey),
      runId: expect.any(String),
      deduplicated: false,
    });
    expect(opened.workflowId).toMatch(/^incident-[0-9a-f]{20}$/);

    const second = await post(alert);
    expect(second.status).toBe(202);
    expect(second.data.incidents[0]).toEqual({ ...opened, deduplicated: true, resend: true });

    const handle = dev.client.workflow.getHandle(opened.workflowId);
    const view = await eventually(async () => {
      const v = await handle.query(statusQuery);
      expect(v.paged.some((p) => p.levelName === 'primary on-call')).toBe(true);
      return v;
    });
    expect(view).toMatchObject({
      service: 'checkout',
      severity: 'P1',
      scenario: 'health',
      status: 'triggered',
    });
    expect(view.alerts).toHaveLength(1);

    const described = await eventually(async () => {
      const d = await handle.describe();
      expect(d.searchAttributes.IncidentStatus).toEqual(['triggered']);
      return d;
    });
    expect(described.searchAttributes).toMatchObject({
      IncidentSeverity: ['P1'],
      IncidentService: ['checkout'],
      IncidentScenario: ['health'],
    });

    await handle.signal(acknowledgeSignal, { by: 'alice' });
    await eventually(async () => expect((await handle.query(statusQuery)).status).toBe('acknowledged'));
    await handle.signal(resolveSignal, { by: 'alice', summary: 'restarted the pod' });
    const outcome = await handle.result();
    expect(outcome.status).toBe('resolved');
    const d = await handle.describe();
    expect(d.status.name).toBe('COMPLETED');
    expect(d.searchAttributes.IncidentStatus).toEqual(['resolved']);
  });

  test('a bad alert gets a 400 naming the field and starts nothing', async () => {
    const dedupKey = `bad-${Date.now()}`;
    const res = await post({ summary: 'no service here', dedupKey });
    expect(res.status).toBe(400);
    expect(res.data).toEqual({ error: 'service: is required', field: 'service' });
    const malformed = await axios.post(`${url}/alerts`, '{"service": ', {
      validateStatus: () => true,
      headers: { 'content-type': 'application/json' },
      transformRequest: [(d: string) => d], // send the broken text as is
    });
    expect(malformed.status).toBe(400);
    expect(malformed.data.error).toMatch(/^body: invalid JSON/);
    await expect(dev.client.workflow.getHandle(incidentWorkflowId(dedupKey)).describe()).rejects.toThrow(
      /not found/i,
    );
  });
});
