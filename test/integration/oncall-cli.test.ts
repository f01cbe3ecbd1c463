/**
 * `npm run oncall` against the dev server: overrides stored durably in the schedule's workflow (overlapping
 * and past ones refused with the reason), `who` and `next` showing them, and a page following one.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { incidentWorkflow } from '../../workflows/incident';
import { workerMetrics } from '../../activities/metrics';
import { statusQuery } from '../../domain/messages';
import { formatElapsed } from '../../domain/policy';
import { parseConfig } from '../../config';
import { rawTestConfig } from '../../scripts/testbed/config';
import { startDevWorker, type DevWorker } from '../support/dev-server';
import { eventually } from '../../scripts/testbed/eventually';
import { describeWith, serviceValue } from '../../scripts/testbed/services';
import { tempDir } from '../../scripts/testbed/temporal';

const ROOT = path.resolve(__dirname, '..', '..');

describeWith(['temporal'], 'durable-runbooks oncall and maintenance (CLI) against the dev server', () => {
  let dev: DevWorker;
  // A schedule of its own, so a rerun on the same server starts without overrides.
  const schedule = `rota-${Date.now().toString(36)}`;
  const raw = rawTestConfig({
    schedules: {
      [schedule]: {
        timeZone: 'UTC',
        layers: [
          {
            name: 'daily',
            participants: ['primary-oncall', 'secondary-oncall'],
            start: '2026-01-01T09:00',
            rotation: 'daily',
          },
        ],
      },
    },
    escalation: { ladder: [{ name: 'on call', schedule }] },
    // Ending a window early reaches its suppressed incidents within this.
    maintenance: { checkEvery: '1s' },
    // A resolve closes within seconds (no health URLs to verify), so the report sees a resolved incident.
    resolution: { stabilityWatch: '1s', checkEvery: '1s', settleAfterMitigation: '1s' },
  });
  const configFile = path.join(tempDir('oncall-'), 'runbooks.json');

  // `durable-runbooks <group> …` by its bin, as a user runs it.
  const cli = (args: string[], group = 'oncall') =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'durable-runbooks.js'), group, ...args], {
        env: {
          ...process.env,
          TEMPORAL_ADDRESS: serviceValue('temporal'),
          TEMPORAL_TASK_QUEUE: dev.taskQueue,
          RUNBOOKS_CONFIG: configFile,
          RUNBOOKS_USER: 'oncall-user',
          // No `npm start` API here, whatever runs on this machine's 8089: `incident report` reads Temporal.
          API_PORT: '1',
        },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });

  beforeAll(async () => {
    writeFileSync(configFile, JSON.stringify(raw));
    dev = await startDevWorker(parseConfig(raw, configFile));
  });
  afterAll(async () => dev?.close());

  test('override, refusals, who, next, a page that follows the override, remove', async () => {
    const before = await cli(['who', schedule]);
    expect(before.code).toBe(0);
    expect(before.stdout).toMatch(/(Primary|Secondary) on-call\s+daily/);

    const added = await cli([
      'override',
      schedule,
      'tech-lead',
      '--from',
      'now',
      '--to',
      '+2h',
      '--reason',
      'covering',
    ]);
    expect([added.code, added.stderr]).toEqual([0, '']);
    const id = /^override ([0-9a-f]{8}): Tech lead is on call for /.exec(added.stdout)?.[1];
    expect(id).toBeDefined();

    const overlapping = await cli(['override', schedule, 'devops-manager', '--from', '+1h', '--to', '+3h']);
    expect(overlapping.code).toBe(1);
    expect(overlapping.stderr).toContain(`override refused: it overlaps override ${id} (tech-lead,`);
    const past = await cli([
      'override',
      schedule,
      'devops-manager',
      '--from',
      '2020-01-01T00:00Z',
      '--to',
      '2020-01-02T00:00Z',
    ]);
    expect(past.code).toBe(1);
    expect(past.stderr).toContain('override refused: it is in the past');
    const unknown = await cli(['override', schedule, 'nobody', '--from', 'now', '--to', '+1h']);
    expect([unknown.code, unknown.stderr]).toEqual([2, expect.stringContaining('no contact "nobody"')]);

    const who = await cli(['who', schedule]);
    expect(who.stdout).toMatch(/Tech lead\s+override/);
    const next = await cli(['next', schedule, '--days', '2']);
    expect(next.code).toBe(0);
    const rows = next.stdout.split('\n').slice(2);
    expect(rows[0]).toMatch(/Tech lead\s+override$/);
    expect(rows[1]).toMatch(/(Primary|Secondary) on-call\s+daily$/);

    // A page resolves the schedule at its own instant, overrides included.
    const handle = await dev.client.workflow.start(incidentWorkflow, {
      taskQueue: dev.taskQueue,
      workflowId: `oncall-page-${Date.now()}`,
      args: [
        {
          dedupKey: 'oncall',
          service: 'checkout',
          scenario: 'health',
          severity: 'P1',
          summary: 'down',
          security: false,
        },
      ],
    });
    const view = await eventually(async () => {
      const v = await handle.query(statusQuery);
      expect(v.timeline.some((e) => e.type === 'page')).toBe(true); // delivered, not only decided
      return v;
    });
    expect(view.paged[0].contacts).toEqual(['Tech lead']);
    expect(view.timeline.find((e) => e.type === 'page')?.message).toContain(
      `on call in schedule ${schedule} (override)`,
    );
    await handle.terminate('test finished');

    const removed = await cli(['remove', schedule, id!]);
    expect([removed.code, removed.stdout.trim()]).toEqual([0, `override ${id} removed from ${schedule}`]);
    expect((await cli(['overrides', schedule])).stdout.trim()).toBe(`no overrides on ${schedule}`);
    expect((await cli(['remove', schedule, id!])).stderr).toContain(`no override ${id} on ${schedule}`);
  });

  test('maintenance: an alert during the window is a suppressed incident; ending the window opens it', async () => {
    const service = `maint-${Date.now().toString(36)}`;
    const started = await cli(
      ['start', service, '--for', '2h', '--reason', 'database upgrade'],
      'maintenance',
    );
    expect([started.code, started.stderr]).toEqual([0, '']);
    expect(started.stdout).toMatch(
      new RegExp(`^maintenance [0-9a-f]{8}: ${service} until .*IncidentStatus="suppressed"`),
    );
    const listed = await cli(['list', '--json'], 'maintenance');
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toContainEqual(
      expect.objectContaining({ service, by: 'oncall-user', reason: 'database upgrade' }),
    );
    // `oncall maintenance` is kept as another name for `maintenance start|end`.
    const tooLong = await cli(['maintenance', service, '--for', '8d']);
    expect([tooLong.code, tooLong.stderr.trim()]).toEqual([
      1,
      'maintenance refused: longer than 7 days: open a new window when this one ends',
    ]);

    const handle = await dev.client.workflow.start(incidentWorkflow, {
      taskQueue: dev.taskQueue,
      workflowId: `maint-incident-${Date.now()}`,
      args: [
        {
          dedupKey: service,
          service,
          scenario: 'health',
          severity: 'P1',
          summary: 'during upgrade',
          security: false,
        },
      ],
    });
    await eventually(async () => expect((await handle.query(statusQuery)).status).toBe('suppressed'));
    // Visible as such in Temporal's visibility, as the UI and `list` see it.
    await eventually(async () => {
      const found: string[] = [];
      for await (const wf of dev.client.workflow.list({
        query: `IncidentStatus="suppressed" AND IncidentService="${service}"`,
      }))
        found.push(wf.workflowId);
      expect(found).toEqual([handle.workflowId]);
    });
    expect((await handle.query(statusQuery)).paged).toEqual([]);

    const ended = await cli(['end', service], 'maintenance');
    expect([ended.code, ended.stdout.trim()]).toEqual([0, `maintenance of ${service} ended`]);
    const opened = await eventually(async () => {
      const v = await handle.query(statusQuery);
      expect(v.paged.length).toBeGreaterThan(0);
      return v;
    });
    expect(opened.status).toBe('triggered');
    expect(opened.timeline.map((e) => e.type)).toContain('reopened');
    const noWindow = await cli(['end', service], 'maintenance');
    // The window's workflow answers: a refusal (1), with its reason.
    expect([noWindow.code, noWindow.stderr.trim()]).toEqual([1, `no maintenance under way for ${service}`]);
    await handle.terminate('test finished');
  });

  test('declared from the CLI: opens without an alert, attributed, and not silenced by maintenance', async () => {
    const service = `declared-${Date.now().toString(36)}`;
    expect((await cli(['maintenance', service, '--for', '1h'])).code).toBe(0);
    const bad = await cli(['declare', service, 'P9', 'x'], 'incident');
    expect([bad.code, bad.stderr.split('\n')[0]]).toEqual([
      2,
      'severity: expected P1, P2 or P3. usage: declare <service> <P1|P2|P3> <summary>',
    ]);
    const declared = await cli(
      ['declare', service, 'P1', 'customers', 'report', 'checkout', 'errors'],
      'incident',
    );
    expect([declared.code, declared.stderr]).toEqual([0, '']);
    const workflowId = /^declared (incident-[0-9a-f]{20}) \(P1, /.exec(declared.stdout)?.[1];
    expect(workflowId).toBeDefined();
    const handle = dev.client.workflow.getHandle(workflowId!);
    const view = await eventually(async () => {
      const v = await handle.query(statusQuery);
      expect(v.paged.length).toBeGreaterThan(0);
      return v;
    });
    expect(view.status).toBe('triggered');
    expect(view.timeline[0]).toMatchObject({
      type: 'opened',
      actor: 'oncall-user',
      message: `incident declared: customers report checkout errors (P1, ${service}, health)`,
    });
    await handle.terminate('test finished');
    expect((await cli(['maintenance', service, '--end'])).code).toBe(0);
  });

  test('report: per service and severity, MTTA and MTTR from incidents created here; histograms on the worker', async () => {
    const service = `report-${Date.now().toString(36)}`;
    const open = async (key: string) => {
      const out = await cli(['declare', service, 'P1', `report test ${key}`], 'incident');
      return dev.client.workflow.getHandle(/^declared (incident-[0-9a-f]{20})/.exec(out.stdout)![1]);
    };
    const [acked, left] = [await open('a'), await open('b')];
    for (const h of [acked, left])
      await eventually(async () => expect((await h.query(statusQuery)).paged.length).toBeGreaterThan(0));
    expect((await cli(['ack', acked.workflowId], 'incident')).code).toBe(0);
    expect((await cli(['resolve', acked.workflowId, 'fixed'], 'incident')).code).toBe(0);
    const closed = await acked.result();
    expect(closed).toMatchObject({ status: 'resolved' });
    const view = await acked.query(statusQuery);
    const mtta = formatElapsed(Date.parse(view.acknowledgedAt!) - Date.parse(view.createdAt));
    const mttr = formatElapsed(Date.parse(view.resolvedAt!) - Date.parse(view.createdAt));

    const report = await cli(['report', '--since', '1h', '--temporal'], 'incident');
    expect([report.code, report.stderr]).toEqual([0, '']);
    const row = report.stdout.split('\n').find((l) => l.startsWith(service));
    expect(row?.split(/\s+/)).toEqual([service, 'P1', '2', '1', '1', '0', mtta, mttr]);
    expect(report.stdout).toMatch(/PERSON\s+PAGES/);
    // With no API or PostgreSQL named, the same report, saying that Temporal forgets closed incidents.
    const unnamed = await cli(['report', '--since', '1h'], 'incident');
    expect(unnamed.stdout.split('\n').find((l) => l.startsWith(service))).toBe(row);
    expect(unnamed.stderr).toMatch(
      /^no API answers at http:\/\/127\.0\.0\.1:1: from Temporal's visibility, which forgets closed incidents.*DURABLE_RUNBOOKS_API.*DATABASE_URL/,
    );
    expect((await cli(['report', '--since', 'forever'], 'incident')).code).toBe(2);

    // The worker observed the closed incident's response times (it runs in this process here). The service
    // is none the configuration names, so it counts under `other`: an alert's text chooses no series.
    for (const name of ['resolve', 'ack']) {
      const histogram = await workerMetrics.getSingleMetricAsString(
        `durable_runbooks_incident_time_to_${name}_seconds`,
      );
      expect(histogram).not.toContain(service);
      expect(histogram).toMatch(
        new RegExp(
          `durable_runbooks_incident_time_to_${name}_seconds_count\\{service="other",severity="P1"\\} [1-9]`,
        ),
      );
    }
    await left.terminate('test finished');
  });
});
