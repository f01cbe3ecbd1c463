import { spawn } from 'node:child_process';
import path from 'node:path';
import { incidentWorkflow } from '../../workflows/incident';
import { statusQuery } from '../../domain/messages';
import { testConfig } from '../../scripts/testbed/config';
import { startDevWorker, type DevWorker } from '../support/dev-server';
import { eventually } from '../../scripts/testbed/eventually';
import { describeWith, serviceValue } from '../../scripts/testbed/services';

const ROOT = path.resolve(__dirname, '..', '..');

/** Runs the CLI as a user would, in its own process (asynchronously: a blocking spawn would stall the worker). */
function cli(
  args: string[],
  address = serviceValue('temporal'),
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      path.join(ROOT, 'node_modules', '.bin', 'tsx'),
      [path.join(ROOT, 'scripts', 'incident.ts'), ...args],
      {
        env: { ...process.env, TEMPORAL_ADDRESS: address, RUNBOOKS_USER: 'cli-user' },
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describeWith(['temporal'], 'npm run incident (CLI) against the dev server', () => {
  let dev: DevWorker;
  beforeAll(async () => {
    dev = await startDevWorker(testConfig());
  });
  afterAll(async () => dev?.close());

  test('list, show, note, ack, resolve with exit codes scripts can trust', async () => {
    const handle = await dev.client.workflow.start(incidentWorkflow, {
      taskQueue: dev.taskQueue,
      workflowId: `incident-${Date.now().toString(16).padStart(20, '0').slice(-20)}`,
      args: [
        {
          dedupKey: 'cli',
          service: 'cli-svc',
          scenario: 'health',
          severity: 'P1',
          summary: 'cli test incident',
          security: false,
        },
      ],
    });
    const view = await eventually(async () => {
      const v = await handle.query(statusQuery);
      expect(v.paged.length).toBeGreaterThan(0);
      return v;
    });
    const listed = await eventually(
      async () => {
        const r = await cli(['list']);
        expect(r.stdout).toContain(handle.workflowId);
        return r;
      },
      30_000,
      500,
    );
    expect(listed.code).toBe(0);
    expect(listed.stdout.split('\n')[0]).toMatch(/^WORKFLOW ID\s+SEV\s+STATUS\s+SERVICE/);
    expect(listed.stdout).toMatch(new RegExp(`${handle.workflowId}\\s+P1\\s+triggered\\s+cli-svc`));

    expect((await cli(['note', view.incidentId, 'checked', 'the', 'dashboard'])).code).toBe(0);
    const acked = await cli(['ack', handle.workflowId]);
    // An Update: the answer says what happened, not merely that something was sent.
    expect(acked).toMatchObject({
      code: 0,
      stdout: expect.stringContaining('acknowledged by cli-user (now acknowledged)'),
    });
    expect((await handle.query(statusQuery)).acknowledgedBy).toBe('cli-user');
    const again = await cli(['ack', handle.workflowId, '--by', 'erin']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('ack refused by');
    expect(again.stderr).toContain('incident is already acknowledged by cli-user');
    const noStep = await cli(['approve', handle.workflowId, 'rollback-image']);
    expect(noStep.code).toBe(1); // a usage the README documents: refused for its reason, not a usage error
    expect(noStep.stderr).toContain('no step "rollback-image" is waiting for approval');
    expect((await cli(['severity', handle.workflowId, 'P9'])).stderr).toContain('unknown severity "P9"');
    const shown = await cli(['show', handle.workflowId]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('ACKNOWLEDGED');
    expect(shown.stdout).toMatch(/note\s+checked the dashboard \(cli-user\)/);
    expect((await cli(['resolve', handle.workflowId, 'restarted', '--by', 'dana'])).code).toBe(0);
    expect(await handle.result()).toMatchObject({ status: 'resolved' });
    expect((await cli(['ack', handle.workflowId])).code).toBe(1); // closed
  });

  test('unknown incident → 1, usage errors → 2, Temporal unreachable → 3', async () => {
    const missing = await cli(['show', 'incident-00000000000000000000']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no incident');
    expect((await cli([])).code).toBe(2);
    expect((await cli(['ack'])).code).toBe(2);
    expect((await cli(['note', 'incident-x'])).code).toBe(2);
    const down = await cli(['list'], '127.0.0.1:1');
    expect(down.code).toBe(3);
    expect(down.stderr).toContain('cannot reach Temporal');
  });
});
