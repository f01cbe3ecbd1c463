/**
 * `POST /heartbeats/<name>` on the real intake and dev server: behind the alert routes' token, an unknown
 * name is a 404 naming the field, a beat starts the heartbeat's workflow, and a storm of beats costs one
 * signal per quiet time; a Watchdog of a Grafana-managed alert beats too, and one for no heartbeat is said.
 */
import { heartbeatQuery, heartbeatWorkflowId } from '../../../domain/messages';
import { testConfig } from '../../../scripts/testbed/config';
import { describeWith } from '../../../scripts/testbed/services';
import { startDevWorker, type DevWorker } from '../../support/dev-server';
import { startIntake, type RunningIntake } from '../../support/intake';

const TOKEN = 'heartbeat-intake-token-0123456789';
const NAME = `hb-intake-${Date.now().toString(36)}`;

describeWith(['temporal'], 'heartbeats through the intake', () => {
  let dev: DevWorker;
  let intake: RunningIntake;
  const auth = { authorization: `Bearer ${TOKEN}` };

  beforeAll(async () => {
    const config = testConfig({
      heartbeats: { [NAME]: { interval: '10m', grace: '1m', service: `${NAME}-svc` } },
    });
    dev = await startDevWorker(config);
    intake = await startIntake({ client: dev.client, config, taskQueue: dev.taskQueue, token: TOKEN });
  });
  afterAll(async () => {
    await dev.client.workflow
      .getHandle(heartbeatWorkflowId(NAME))
      .terminate('test finished')
      .catch(() => undefined);
    await intake?.close();
    await dev?.close();
  });

  test('a beat needs the token; an unknown heartbeat is a 404 naming the field', async () => {
    const refused = await intake.post(`/heartbeats/${NAME}`, {}, { authorization: 'Bearer not-the-token' });
    expect(refused.status).toBe(401);
    const unknown = await intake.post('/heartbeats/nobody', {}, auth);
    expect(unknown.status).toBe(404);
    expect(unknown.data).toMatchObject({ field: 'name', error: expect.stringContaining('"nobody"') });
  });

  test('fifty beats at once start the workflow with a signal each of the first answers, and a storm after them signals nothing', async () => {
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => intake.post(`/heartbeats/${NAME}`, {}, auth)),
    );
    expect(answers.every((a) => a.status === 202)).toBe(true);
    const outcomes = answers.map((a) => (a.data as { outcome: string }).outcome);
    expect(outcomes.filter((o) => o === 'signalled').length).toBeGreaterThanOrEqual(1);
    const handle = dev.client.workflow.getHandle(heartbeatWorkflowId(NAME));
    expect((await handle.query(heartbeatQuery)).lastBeatAt).not.toBeNull();
    const events = (await handle.fetchHistory()).events ?? [];
    const signals = events.filter((e) => e.workflowExecutionSignaledEventAttributes).length;
    // Concurrent first beats may each signal before any is remembered; a storm after them signals nothing.
    expect(signals).toBe(outcomes.filter((o) => o === 'signalled').length);
    const later = await Promise.all(
      Array.from({ length: 20 }, () => intake.post(`/heartbeats/${NAME}`, {}, auth)),
    );
    expect(later.map((a) => (a.data as { outcome: string }).outcome)).toEqual(Array(20).fill('deduplicated'));
  });

  test('an always-firing Watchdog from Grafana beats the heartbeat of its service; one for no heartbeat opens nothing and says so', async () => {
    const grafana = (service: string) => ({
      receiver: 'durable-runbooks',
      status: 'firing',
      orgId: 1,
      alerts: [
        {
          status: 'firing',
          labels: { alertname: 'Watchdog', service },
          annotations: { summary: 'always firing' },
          startsAt: new Date().toISOString(),
          endsAt: '0001-01-01T00:00:00Z',
          generatorURL: '',
          fingerprint: `wd-${service}`,
        },
      ],
      groupLabels: { alertname: 'Watchdog' },
      commonLabels: { alertname: 'Watchdog', service },
      commonAnnotations: {},
      externalURL: 'http://grafana.example/',
      version: '1',
      groupKey: `{}:{alertname="Watchdog", service="${service}"}`,
      truncatedAlerts: 0,
      title: '[FIRING:1] Watchdog',
      state: 'alerting',
      message: '',
    });
    const beat = await intake.post('/alerts/grafana', grafana(`${NAME}-svc`), auth);
    expect(beat.status).toBe(202);
    expect(beat.data).toMatchObject({ incidents: [], heartbeats: [NAME] });
    const stray = await intake.post('/alerts/grafana', grafana('nowhere'), auth);
    expect(stray.status).toBe(202);
    expect(stray.data).toMatchObject({ incidents: [], heartbeats: [] });
    expect((stray.data as { note: string }).note).toMatch(
      /^Watchdog: a heartbeat alert .* opens no incident$/,
    );
  });
});
