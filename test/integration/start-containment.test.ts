/**
 * `npm start` contains a worker's death: the worker and the intake are separate supervised processes, so
 * with the worker killed the intake still answers 202, and the restarted worker pages the alert it took. Its
 * third process holds the embedded store: the incident (the default engine revision, 5) is recorded there,
 * and the API serves it. The worker holds no store, so its writes go by the lane the API's process polls.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import axios from 'axios';
import { Client, Connection } from '@temporalio/client';
import { freePort } from '../../scripts/testbed/local-services';
import { statusQuery } from '../../domain/messages';
import { writeTestConfig } from '../../scripts/testbed/config';
import { eventually } from '../../scripts/testbed/eventually';
import { describeWith, serviceValue } from '../../scripts/testbed/services';
import { tempDir, uniqueTaskQueue } from '../../scripts/testbed/temporal';
import { runCli } from '../support/cli-process';
import { jsonLinesIn } from '../support/files';

const ROOT = path.resolve(__dirname, '../..');

describeWith(['temporal'], 'npm start: the intake outlives its worker', () => {
  let start: ChildProcess | undefined;
  let client: Client;
  let connection: Connection;
  afterAll(async () => {
    if (start && start.exitCode === null) {
      start.kill('SIGTERM');
      await new Promise((r) => start!.once('exit', r));
    }
    await connection?.close();
  });

  test('the worker is killed: alerts are still accepted, and the restarted worker pages them', async () => {
    const dir = tempDir('start-');
    const [intakePort, metricsPort, apiPort] = [await freePort(), await freePort(), await freePort()];
    const taskQueue = uniqueTaskQueue('start');
    start = spawn(process.execPath, ['-r', 'tsx/cjs', path.join(ROOT, 'scripts/ops/start.ts')], {
      cwd: ROOT,
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: serviceValue('temporal'),
        TEMPORAL_TASK_QUEUE: taskQueue,
        INTAKE_PORT: String(intakePort),
        WORKER_METRICS_PORT: String(metricsPort),
        API_PORT: String(apiPort),
        RUNBOOKS_DATA_DIR: dir,
        RUNBOOKS_CONFIG: writeTestConfig(dir),
        INTAKE_TOKEN: '',
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    start.stdout!.on('data', (d) => (output += d));
    start.stderr!.on('data', (d) => (output += d));
    await eventually(async () => expect(output).toContain('Durable Runbooks is running.'), 150_000);
    connection = await Connection.connect({ address: serviceValue('temporal') });
    client = new Client({ connection });

    const pids = JSON.parse(readFileSync(path.join(dir, 'pids.json'), 'utf8')) as Record<string, number>;
    process.kill(pids.worker, 'SIGKILL');
    const url = `http://127.0.0.1:${intakePort}/alerts`;
    const alert = {
      service: 'checkout',
      summary: 'while the worker is down',
      severity: 'P1',
      dedupKey: `down-${Date.now()}`,
    };
    const posted = await axios.post(url, alert, { validateStatus: () => true });
    expect(posted.status).toBe(202);
    const handle = client.workflow.getHandle(posted.data.incidents[0].workflowId);
    // A new worker process (another pid) takes the incident and pages.
    await eventually(async () => {
      const now = JSON.parse(readFileSync(path.join(dir, 'pids.json'), 'utf8')) as Record<string, number>;
      expect(now.worker).not.toBe(pids.worker);
      const view = await handle.query(statusQuery);
      expect(view.paged.find((p) => p.level === 0)).toBeDefined();
    }, 120_000);
    expect(output).toMatch(/worker started again \(pid \d+, restart 1\)/);
    // Recorded in the embedded store by the API's process, page and all.
    const { incidentId } = await handle.query(statusQuery);
    const record = await eventually(async () => {
      const res = await fetch(`http://127.0.0.1:${apiPort}/api/v1/incidents/${incidentId}`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { notifications: { channel: string; delivered: boolean }[] };
      expect(body.notifications).toContainEqual(
        expect.objectContaining({ channel: 'page', delivered: true }),
      );
      return body as unknown as { summary: string };
    }, 60_000);
    expect(record.summary).toBe(alert.summary);
    // Its processes log JSON lines: the intake says where the post went, the restarted worker whom it paged,
    // both with the incident's ids.
    const intakeLog = jsonLinesIn(path.join(dir, 'logs', 'intake.log'));
    expect(intakeLog).toContainEqual(
      expect.objectContaining({
        name: 'intake',
        level: 'info',
        msg: 'alert started',
        source: 'generic',
        incidentId,
        workflowId: handle.workflowId,
        service: 'checkout',
        severity: 'P1',
      }),
    );
    expect(jsonLinesIn(path.join(dir, 'logs', 'worker.log'))).toContainEqual(
      expect.objectContaining({
        name: 'worker',
        msg: 'paged',
        incidentId,
        workflowId: handle.workflowId,
        runId: expect.any(String),
        activity: 'pageContacts',
        level: 'info',
      }),
    );
    // `incident report`, with nothing set, reads the store through this machine's API.
    const report = await runCli(['incident', 'report', '--since', '1h', '--json'], {
      API_PORT: String(apiPort),
      DATABASE_URL: '',
      TEMPORAL_ADDRESS: serviceValue('temporal'),
    });
    expect([report.code, report.stderr]).toEqual([0, '']);
    expect(JSON.parse(report.stdout)).toMatchObject({
      store: `through the API at http://127.0.0.1:${apiPort}`,
      responseTimes: [expect.objectContaining({ service: 'checkout', severity: 'P1', incidents: 1 })],
    });
    await handle.terminate('test finished');
  }, 300_000);
});
