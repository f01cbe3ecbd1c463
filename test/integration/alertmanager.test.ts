import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import axios from 'axios';
import { incidentWorkflowId } from '../../intake/incident-id';
import { freePort, killGroup } from '../../scripts/testbed/local-services';
import { portOpen } from '../../scripts/ops/temporal-server';
import { heartbeatQuery, heartbeatWorkflowId, statusQuery } from '../../domain/messages';
import { testConfig } from '../../scripts/testbed/config';
import { startDevWorker, type DevWorker } from '../support/dev-server';
import { eventually } from '../../scripts/testbed/eventually';
import { startIntake, type RunningIntake } from '../support/intake';
import { describeWith, serviceValue } from '../../scripts/testbed/services';
import { tempDir } from '../../scripts/testbed/temporal';

const TOKEN = 'alertmanager-bearer-token-42';
// A heartbeat of this run's own (the dev server outlives a run): the kube-prometheus Watchdog of a namespace.
const WATCHED = `monitoring-${Date.now().toString(36)}`;
const HEARTBEAT = `alertmanager-${Date.now().toString(36)}`;

/** Posts alerts to Alertmanager's v2 API, as Prometheus would. */
async function fireAt(alertmanager: string, labels: Record<string, string>, summary: string, endsAt?: Date) {
  const alert = {
    labels,
    annotations: { summary },
    startsAt: new Date(Date.now() - 60_000).toISOString(),
    ...(endsAt ? { endsAt: endsAt.toISOString() } : {}),
  };
  await axios.post(`${alertmanager}/api/v2/alerts`, [alert]);
}

describeWith(['temporal', 'alertmanager'], 'a real Prometheus Alertmanager delivering to the intake', () => {
  let dev: DevWorker;
  let intake: RunningIntake;
  let am: ChildProcess;
  let amUrl: string;

  beforeAll(async () => {
    const config = testConfig({
      heartbeats: { [HEARTBEAT]: { interval: '6s', grace: '2s', service: WATCHED, severity: 'P2' } },
    });
    dev = await startDevWorker(config);
    intake = await startIntake({ client: dev.client, config, taskQueue: dev.taskQueue, token: TOKEN });
    const dir = tempDir('alertmanager-');
    const port = await freePort();
    amUrl = `http://127.0.0.1:${port}`;
    writeFileSync(
      path.join(dir, 'alertmanager.yml'),
      [
        'route:',
        '  receiver: durable-runbooks',
        "  group_by: ['alertname', 'service']",
        '  group_wait: 1s',
        '  group_interval: 1s',
        '  repeat_interval: 1h',
        '  routes:',
        // The Watchdog is resent often: each resend is a beat.
        '    - matchers: [\'alertname="Watchdog"\']',
        '      receiver: durable-runbooks',
        '      repeat_interval: 2s',
        'receivers:',
        '  - name: durable-runbooks',
        '    webhook_configs:',
        `      - url: ${intake.url}/alerts/alertmanager`,
        '        send_resolved: true',
        '        http_config:',
        '          authorization:',
        `            credentials: ${TOKEN}`,
        '',
      ].join('\n'),
    );
    const log = openSync(path.join(dir, 'alertmanager.log'), 'a');
    am = spawn(
      serviceValue('alertmanager'),
      [
        `--config.file=${path.join(dir, 'alertmanager.yml')}`,
        `--storage.path=${path.join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--cluster.listen-address=',
      ],
      { detached: true, stdio: ['ignore', log, log] },
    );
    await eventually(async () => expect(await portOpen('127.0.0.1', port)).toBe(true), 20_000);
  });
  afterAll(async () => {
    if (am) await killGroup(am);
    await intake?.close();
    await dev?.close();
  });

  test('alerts posted to Alertmanager reach a workflow, and their resolution is signalled', async () => {
    const service = `am-svc-${Date.now()}`;
    const labels = { alertname: 'HighMemoryUsage', service, severity: 'critical' };
    await fireAt(amUrl, labels, `${service} memory at 93%`);
    // Alertmanager's group key for this route and these labels, as it sends it.
    const groupKey = `{}:{alertname="HighMemoryUsage", service="${service}"}`;
    const handle = dev.client.workflow.getHandle(incidentWorkflowId(`alertmanager:${groupKey}`));
    const view = await eventually(
      async () => {
        const v = await handle.query(statusQuery);
        expect(v.alerts).toHaveLength(1);
        return v;
      },
      30_000,
      250,
    );
    expect(view).toMatchObject({
      service,
      scenario: 'high-memory',
      severity: 'P1',
      summary: `${service} memory at 93%`,
    });
    expect(view.alerts[0]).toMatchObject({
      status: 'firing',
      source: 'alertmanager',
      labels: expect.objectContaining({ service }),
    });

    await fireAt(amUrl, labels, `${service} memory at 93%`, new Date(Date.now() - 1000));
    const after = await eventually(
      async () => {
        const v = await handle.query(statusQuery);
        expect(v.alerts[0].status).toBe('resolved');
        return v;
      },
      30_000,
      250,
    );
    // Every source alert resolved: the incident moves to verifying its resolution on its own.
    expect(after.timeline.some((e) => e.type === 'alert' && e.message.startsWith('alert resolved'))).toBe(
      true,
    );
    await eventually(async () =>
      expect(['monitoring', 'resolved']).toContain((await handle.query(statusQuery)).status),
    );
  });

  test('the Watchdog beats a heartbeat; missed, it opens an incident for its service, and its return resolves it', async () => {
    const watchdog = { alertname: 'Watchdog', severity: 'none', namespace: WATCHED };
    await fireAt(amUrl, watchdog, 'An alert that should always be firing', new Date(Date.now() + 5000));
    const heartbeat = dev.client.workflow.getHandle(heartbeatWorkflowId(HEARTBEAT));
    const beating = await eventually(
      async () => {
        const v = await heartbeat.query(heartbeatQuery);
        expect(v.lastBeatAt).not.toBeNull();
        return v;
      },
      30_000,
      250,
    );
    expect(beating.incidentWorkflowId).toBeNull();
    // Alertmanager stops sending it once it ends: interval + grace later, the heartbeat is missed.
    const incident = dev.client.workflow.getHandle(`incident-heartbeat-${HEARTBEAT}`);
    const opened = await eventually(
      async () => {
        const v = await incident.query(statusQuery);
        expect(v.alerts[0]?.status).toBe('firing');
        return v;
      },
      40_000,
      500,
    );
    expect(opened).toMatchObject({ service: WATCHED, severity: 'P2', status: 'triggered' });
    expect(opened.summary).toMatch(new RegExp(`^no heartbeat from ${HEARTBEAT} since `));
    // The Watchdog never opened an incident of its own: the service's only incident is the heartbeat's.
    const ids = await eventually(
      async () => {
        const found: string[] = [];
        for await (const w of dev.client.workflow.list({ query: `IncidentService = '${WATCHED}'` }))
          found.push(w.workflowId);
        expect(found).toContain(incident.workflowId);
        return found;
      },
      20_000,
      500,
    );
    expect(ids).toEqual([incident.workflowId]);
    // It fires again: the next beat resolves the incident's alert.
    await fireAt(amUrl, watchdog, 'An alert that should always be firing', new Date(Date.now() + 60_000));
    const after = await eventually(
      async () => {
        const v = await incident.query(statusQuery);
        expect(v.alerts[0].status).toBe('resolved');
        return v;
      },
      30_000,
      250,
    );
    expect(after.timeline.map((e) => e.message).join('\n')).toContain('every source alert resolved');
    await eventually(async () =>
      expect((await heartbeat.query(heartbeatQuery)).incidentWorkflowId).toBeNull(),
    );
    await heartbeat.terminate('test finished');
  }, 90_000);
});
