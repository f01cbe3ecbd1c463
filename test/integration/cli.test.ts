import { incidentWorkflow } from '../../workflows/incident';
import { statusQuery } from '../../domain/messages';
import { testConfig } from '../../scripts/testbed/config';
import { startDevWorker, startTestIncident, type DevWorker } from '../support/dev-server';
import { eventually } from '../../scripts/testbed/eventually';
import { describeWith, serviceValue } from '../../scripts/testbed/services';
import { runCli } from '../support/cli-process';

/** `durable-runbooks incident …` on the dev server, as the user `cli-user`, with a 3 s incident timeout. */
const cli = (args: string[], address = serviceValue('temporal')) =>
  runCli(['incident', ...args], {
    TEMPORAL_ADDRESS: address,
    RUNBOOKS_USER: 'cli-user',
    INCIDENT_TIMEOUT_SECONDS: '3',
  });

describeWith(['temporal'], 'durable-runbooks incident (CLI) against the dev server', () => {
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
    // Filters combine; --json is for scripts.
    const filtered = await cli([
      'list',
      '--service',
      'cli-svc',
      '--severity',
      'p1',
      '--status',
      'triggered',
      '--json',
    ]);
    expect(filtered.code).toBe(0);
    expect(JSON.parse(filtered.stdout)).toEqual([
      expect.objectContaining({
        workflowId: handle.workflowId,
        severity: 'P1',
        status: 'triggered',
        service: 'cli-svc',
      }),
    ]);
    const none = await cli(['list', '--service', 'cli-svc', '--severity', 'P3', '--json']);
    expect([none.code, JSON.parse(none.stdout)]).toEqual([0, []]);
    const badFilter = await cli(['list', '--service', "x' OR 1=1"]);
    expect([badFilter.code, badFilter.stderr]).toEqual([
      2,
      expect.stringContaining('--service: a service name'),
    ]);
    expect((await cli(['list', '--status', 'asleep'])).code).toBe(2);

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
    expect(noStep.code).toBe(1); // a usage docs/responders.md documents: refused for its reason, not a usage error
    expect(noStep.stderr).toContain('no step "rollback-image" is waiting for approval');
    expect((await cli(['severity', handle.workflowId, 'P9'])).stderr).toContain('unknown severity "P9"');
    // Snooze (engine revision 6, the default).
    const snooze = await cli(['snooze', handle.workflowId, '30']);
    expect(snooze).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/snoozed until .* \(now acknowledged\)/),
    });
    expect((await cli(['snooze', handle.workflowId])).code).toBe(2);
    // Adding a responder: one of --team, --person, --schedule; revision 7 (the default) runs it.
    expect((await cli(['page', handle.workflowId])).code).toBe(2);
    expect((await cli(['page', handle.workflowId, '--team', 'db', '--person', 'x'])).code).toBe(2);
    const page = await cli(['page', handle.workflowId, '--person', 'tech-lead']);
    expect(page).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(
        /paging .*tech-lead.* until someone from it acknowledges \(now acknowledged\)/,
      ),
    });
    const shown = await cli(['show', handle.workflowId]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('ACKNOWLEDGED');
    expect(shown.stdout).toMatch(/note\s+checked the dashboard \(cli-user\)/);
    const json = await cli(['show', handle.workflowId, '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({
      incidentId: view.incidentId,
      acknowledgedBy: 'cli-user',
    });
    expect((await cli(['resolve', handle.workflowId, 'restarted', '--by', 'dana'])).code).toBe(0);
    expect(await handle.result()).toMatchObject({ status: 'resolved' });
    expect((await cli(['ack', handle.workflowId])).code).toBe(1); // closed
    // The review outlives the incident: its meeting is confirmed (or moved) once, then nothing waits.
    expect((await cli(['review-scheduled', handle.workflowId, '--when', 'soon'])).code).toBe(2);
    const confirmed = await cli(['review-scheduled', view.incidentId]);
    expect(confirmed).toMatchObject({
      code: 0,
      stdout: `${view.incidentId}: review confirmed; no more reminders\n`,
    });
    const done = await eventually(async () => {
      const r = await cli(['review-scheduled', handle.workflowId, '--when', '2030-01-07T10:00Z']);
      expect(r.code).toBe(1);
      return r;
    });
    expect(done.stderr).toContain(`the review of ${view.incidentId} is not waiting (completed)`);
  });

  test('merge (engine revision 8): into an open incident only; the merged one closes as "merged into …"', async () => {
    const dev8 = await startDevWorker(testConfig({ engine: { revision: 8 } }));
    try {
      const from = await startTestIncident(dev8.client, dev8.taskQueue, 'cli-merge-from');
      const into = await startTestIncident(dev8.client, dev8.taskQueue, 'cli-merge-into');
      const intoId = (await eventually(() => into.query(statusQuery))).incidentId;
      expect((await cli(['merge', from.workflowId])).code).toBe(2);
      const unknown = await cli(['merge', from.workflowId, 'no-such-incident']);
      expect(unknown).toMatchObject({ code: 1, stderr: 'no incident no-such-incident to merge into\n' });
      const merged = await cli(['merge', from.workflowId, into.workflowId]);
      expect(merged).toMatchObject({
        code: 0,
        stdout: `${from.workflowId}: merging into ${intoId}: its alerts and this alert group go there (now triggered)\n`,
      });
      const view = await eventually(async () => {
        const v = await from.query(statusQuery);
        expect(v.status).toBe('resolved');
        return v;
      });
      expect([view.resolutionSummary, view.mergedInto]).toEqual([`merged into ${intoId}`, intoId]);
      expect((await into.query(statusQuery)).mergedFrom).toEqual([view.incidentId]);
      expect((await cli(['show', from.workflowId])).stdout).toContain(`  merged into:   ${intoId}\n`);
      // The merged incident is closed: nothing merges into it.
      const back = await cli(['merge', into.workflowId, from.workflowId]);
      expect(back).toMatchObject({
        code: 1,
        stderr: `${view.incidentId} is resolved: merge into an open incident\n`,
      });
    } finally {
      await dev8.close();
    }
  });

  test('the exit-code table: 0 done, 1 refused, 2 usage, 3 unreachable, 4 not found, 5 timed out', async () => {
    // 0 and 1 are asserted above (ack, then ack again).
    const missing = await cli(['show', 'incident-00000000000000000000']);
    expect([missing.code, missing.stderr]).toEqual([4, expect.stringContaining('no incident')]);
    for (const usage of [
      [],
      ['ack'],
      ['note', 'incident-x'],
      ['frobnicate'],
      ['list', '--bogus'],
      ['report', '--since', 'forever'],
    ])
      expect([usage, (await cli(usage)).code]).toEqual([usage, 2]);
    const down = await cli(['list'], '127.0.0.1:1');
    expect([down.code, down.stderr]).toEqual([3, expect.stringContaining('cannot reach Temporal')]);
    // No worker polls this queue: the incident cannot answer, and the CLI says so after its deadline.
    const stuck = await dev.client.workflow.start(incidentWorkflow, {
      taskQueue: `nobody-polls-${Date.now()}`,
      workflowId: `incident-${(Date.now() + 1).toString(16).padStart(20, '0').slice(-20)}`,
      args: [
        {
          dedupKey: 'stuck',
          service: 'stuck',
          scenario: 'health',
          severity: 'P1',
          summary: 'stuck',
          security: false,
        },
      ],
    });
    const timedOut = await cli(['ack', stuck.workflowId]);
    expect([timedOut.code, timedOut.stderr]).toEqual([
      5,
      expect.stringContaining('did not answer within 3 s'),
    ]);
    await stuck.terminate('test finished');
  });

  test('--help prints the usage to stdout and exits 0, per command', async () => {
    const all = await cli(['--help']);
    expect([all.code, all.stderr]).toEqual([0, '']);
    for (const command of [
      'list',
      'show',
      'ack',
      'resolve',
      'note',
      'escalate',
      'severity',
      'approve',
      'reject',
      'declare',
      'report',
    ])
      expect(all.stdout).toContain(`  ${command}`);
    const ack = await cli(['ack', '--help']);
    expect([ack.code, ack.stdout.split('\n')[0]]).toEqual([
      0,
      'usage: durable-runbooks incident ack <id> [--by name]',
    ]);
  });
});
