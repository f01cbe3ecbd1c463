import http from 'node:http';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { IncidentWorker } from '../../workers/worker';
import type { WorkflowHandle } from '@temporalio/client';
import { incidentWorkflow } from '../../workflows/incident';
import { reviewReminderWorkflow } from '../../workflows/incident/review-reminder';
import {
  acknowledgeSignal,
  alertSignal,
  addNoteSignal,
  approveSignal,
  resolveSignal,
  reviewScheduledSignal,
  setSeveritySignal,
  statusQuery,
  pageSignal,
  pageUpdate,
} from '../../domain/messages';
import { formatElapsed } from '../../domain/policy';
import type { IncidentInput, IncidentStatusView } from '../../domain/types';
import type { RunbooksConfig } from '../../config';
import { testConfig } from '../../scripts/testbed/config';
import { eventually } from '../../scripts/testbed/eventually';
import { waitUntilIdle } from '../../scripts/testbed/history';
import { describeWith } from '../../scripts/testbed/services';
import { reviewOf, type SqlClient } from '../../store';
import { freshStore } from '../support/fresh-postgres';
import {
  createTestWorker,
  createTimeSkippingEnv,
  tempDir,
  uniqueTaskQueue,
} from '../../scripts/testbed/temporal';

describeWith(['testServer', 'postgres'], 'incident lifecycle on workflow time (time-skipping server)', () => {
  let env: TestWorkflowEnvironment;
  let worker: IncidentWorker;
  let store: SqlClient;
  let running: Promise<void>;
  let baseDir: string;
  let config: RunbooksConfig;
  let healthy = true;
  let healthServer: http.Server;
  const taskQueue = uniqueTaskQueue('lifecycle');
  const handles: WorkflowHandle[] = [];

  beforeAll(async () => {
    healthServer = http.createServer((_req, res) => {
      res.writeHead(healthy ? 200 : 503, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ status: healthy ? 'healthy' : 'unhealthy', timestamp: new Date().toISOString() }),
      );
    });
    await new Promise<void>((r) => healthServer.listen(0, '127.0.0.1', r));
    const port = (healthServer.address() as { port: number }).port;
    env = await createTimeSkippingEnv();
    baseDir = tempDir();
    config = testConfig({
      // The release before 3b19c91 ran revision 6: these are its sequences (revision 7 has tests of its own).
      engine: { revision: 6 },
      services: {
        watched: { healthUrls: [`http://127.0.0.1:${port}/health`] },
        // A runbook whose Docker Engine is not there: each run ends (failed) and must be recorded.
        'watched-runbook': { container: 'no-such-app', healthUrls: [`http://127.0.0.1:${port}/health`] },
      },
      docker: { socketPath: path.join(baseDir, 'no-docker.sock') },
      resolution: { stabilityWatch: '30m', checkEvery: '5m', settleAfterMitigation: '30s' },
    });
    store = await freshStore('escalation');
    worker = await createTestWorker({ connection: env.nativeConnection, config, taskQueue, baseDir, store });
    running = worker.run();
  });

  afterEach(async () => {
    // A run left open would hold the test server's clock for the next test, and so does one terminated
    // with an activity in flight (the Java test server keeps that activity's time-skipping lock): let
    // each finish what it started, then terminate it.
    for (const h of handles.splice(0)) {
      await waitUntilIdle(h, 10_000).catch(() => undefined);
      await h.terminate('test finished').catch(() => undefined);
    }
  });

  afterAll(async () => {
    worker?.shutdown();
    await running;
    await env?.teardown();
    await store?.close();
    healthServer?.close();
  });

  let seq = 0;
  async function open(partial: Partial<IncidentInput> = {}) {
    seq += 1;
    const input: IncidentInput = {
      dedupKey: `t-${seq}`,
      service: 'unwatched',
      scenario: 'health',
      severity: 'P1',
      summary: 'checkout is down',
      security: false,
      ...partial,
    };
    const handle = await env.client.workflow.start(incidentWorkflow, {
      taskQueue,
      workflowId: `lifecycle-${seq}-${Date.now()}`,
      args: [input],
    });
    handles.push(handle);
    await env.sleep('1s'); // lets the opening activities run
    return handle;
  }

  const since = (v: IncidentStatusView, iso: string) =>
    formatElapsed(Date.parse(iso) - Date.parse(v.createdAt));
  const ladderPages = (v: IncidentStatusView) =>
    v.paged.filter((p) => p.level >= 0).map((p) => `${since(v, p.at)} ${p.levelName} (${p.channel})`);
  const entries = (v: IncidentStatusView, type: string) =>
    v.timeline.filter((e) => e.type === type).map((e) => since(v, e.at));

  test('P1 with no acknowledgement pages primary at 0:00, secondary at 15:00, tech lead at 30:00, manager at 45:00', async () => {
    const handle = await open();
    await env.sleep('14m');
    expect(ladderPages(await handle.query(statusQuery))).toEqual(['0:00 primary on-call (page)']);
    await env.sleep('32m');
    const view = await handle.query(statusQuery);
    expect(ladderPages(view)).toEqual([
      '0:00 primary on-call (page)',
      '15:00 secondary on-call (page)',
      '30:00 tech lead (page)',
      '45:00 DevOps manager (page)',
    ]);
    expect(view.paged.filter((p) => p.level === -2).map((p) => p.levelName)).toEqual(['management']);
    expect(view.timeline.filter((e) => e.type === 'page').map((e) => e.message)[1]).toContain(
      'no acknowledgement within 15:00',
    );
    expect(since(view, view.nextEscalationAt as string)).toBe('1:00:00'); // ladder repeats once
  });

  test('revision 6: adding a responder is refused by its Update, and its Signal leaves no trace (the previous release has no handler)', async () => {
    const handle = await open();
    await handle.signal(acknowledgeSignal, { by: 'alice' });
    await env.sleep('1m');
    await expect(
      handle.executeUpdate(pageUpdate, { args: [{ by: 'alice', person: 'tech-lead' }] }),
    ).rejects.toMatchObject({
      cause: { message: 'adding a responder needs engine revision 7; this incident runs revision 6' },
    });
    const before = await handle.query(statusQuery);
    await handle.signal(pageSignal, { by: 'alice', person: 'tech-lead' });
    await env.sleep('1m');
    const after = await handle.query(statusQuery);
    expect(after.timeline.length).toBe(before.timeline.length);
    expect([after.paged.length, after.responders]).toEqual([before.paged.length, undefined]);
  });

  test('acknowledged at 10:00: no rung pages until the 30:00 ack timeout re-alerts, then the ladder goes on', async () => {
    const handle = await open();
    await env.sleep(599_000);
    await handle.signal(acknowledgeSignal, { by: 'alice' });
    await env.sleep('29m');
    let view = await handle.query(statusQuery);
    expect(view.status).toBe('acknowledged');
    expect(view.acknowledgedBy).toBe('alice');
    expect(since(view, view.acknowledgedAt as string)).toBe('10:00');
    expect(since(view, view.ackExpiresAt as string)).toBe('40:00');
    expect(ladderPages(view)).toEqual(['0:00 primary on-call (page)']);
    expect(view.nextEscalationAt).toBeNull();
    // A minute past the rung, like every check in this file: env.sleep may return before the worker has
    // handled a task that fell due a second earlier. The page's own time is what is asserted.
    await env.sleep('17m');
    view = await eventually(async () => {
      const v = await handle.query(statusQuery);
      // PagerDuty's ack timeout: the acknowledger's level again at 40:00, then the next rung 15:00 later.
      expect(ladderPages(v)).toEqual([
        '0:00 primary on-call (page)',
        '40:00 primary on-call (page)',
        '55:00 secondary on-call (page)',
      ]);
      return v;
    });
    expect(view.paged[view.paged.length - 2].reason).toBe(
      'acknowledged by alice but not resolved within 30:00: alerting again',
    );
    expect(view.status).toBe('triggered');
  });

  test('P2 notifies the primary on Slack at 0:00 and escalates at 1:00:00', async () => {
    const handle = await open({ severity: 'P2' });
    await env.sleep('59m');
    expect(ladderPages(await handle.query(statusQuery))).toEqual(['0:00 primary on-call (slack)']);
    await env.sleep('2m');
    const view = await handle.query(statusQuery);
    expect(ladderPages(view)).toEqual(['0:00 primary on-call (slack)', '1:00:00 secondary on-call (page)']);
    expect(view.paged.some((p) => p.level === -2)).toBe(false); // no management for P2
  });

  test('P3 opens a ticket, and pages the primary only when its 4 h response time passes unacknowledged', async () => {
    const handle = await open({ severity: 'P3' });
    await env.sleep('3h');
    let view = await handle.query(statusQuery);
    expect(view.paged).toEqual([]);
    expect(entries(view, 'ticket')).toEqual(['0:00']);
    expect(since(view, view.nextEscalationAt as string)).toBe('4:00:00');
    await env.sleep('3h');
    view = await handle.query(statusQuery);
    expect(ladderPages(view)).toEqual(['4:00:00 primary on-call (page)']);
    expect(view.paged[0].reason).toBe(
      'not acknowledged within the P3 response time of 4:00:00: paging primary on-call',
    );
    expect(view.nextEscalationAt).toBeNull(); // P3 does not climb the ladder
  });

  test('status updates every 30 minutes stop at resolution', async () => {
    const handle = await open();
    await env.sleep('4m');
    await handle.signal(acknowledgeSignal, { by: 'alice' });
    await handle.signal(reviewScheduledSignal, { by: 'alice' }); // no 24 h reminder child in this test
    await env.sleep('61m');
    expect(entries(await handle.query(statusQuery), 'status-update')).toEqual(['30:00', '1:00:00']);
    await handle.signal(resolveSignal, { by: 'alice', summary: 'restarted' });
    const outcome = await handle.result();
    expect(outcome.status).toBe('resolved');
    const journal = readFileSync(path.join(baseDir, '.data/notifications.jsonl'), 'utf8');
    const updates = journal
      .split('\n')
      .filter((l) => l.includes(handle.workflowId) && l.includes('**Incident Update'));
    expect(updates).toHaveLength(2);
    expect(updates[0]).toContain('**Status**: Investigating');
    expect(updates[0]).toContain('**Next Update**: In 30:00');
  });

  test('setSeverity mid-incident re-times the ladder by the new policy', async () => {
    const handle = await open({ severity: 'P2' });
    await env.sleep(1_199_000);
    await handle.signal(setSeveritySignal, { by: 'bob', severity: 'P1' });
    await env.sleep('31m');
    const view = await handle.query(statusQuery);
    expect(view.severity).toBe('P1');
    expect(ladderPages(view)).toEqual([
      '0:00 primary on-call (slack)',
      '35:00 secondary on-call (page)',
      '50:00 tech lead (page)',
    ]);
    expect(entries(view, 'severity')).toEqual(['20:00']);
  });

  test('a relapse during the stability watch reopens the incident and restarts escalation', async () => {
    healthy = true;
    const handle = await open({ service: 'watched' });
    await env.sleep('59s');
    await handle.signal(acknowledgeSignal, { by: 'alice' });
    await env.sleep('1m');
    await handle.signal(resolveSignal, { by: 'alice', summary: 'cache flushed' });
    await env.sleep('6m'); // first watch check at +5m passes
    let view = await handle.query(statusQuery);
    expect(view.status).toBe('monitoring');
    healthy = false;
    await env.sleep('5m');
    view = await handle.query(statusQuery);
    expect(view.status).toBe('triggered');
    expect(entries(view, 'reopened')).toEqual(['12:00']);
    expect(ladderPages(view)).toEqual(['0:00 primary on-call (page)', '12:00 primary on-call (page)']);
    healthy = true;
    await env.sleep('15m');
    view = await handle.query(statusQuery);
    expect(ladderPages(view).slice(-1)).toEqual(['27:00 secondary on-call (page)']);
  });

  test('stable for the whole watch: closes, writes the review with every timeline event, leaves the reminder running', async () => {
    healthy = true;
    const handle = await open({ service: 'watched' });
    await env.sleep(179_000);
    await handle.signal(acknowledgeSignal, { by: 'alice' });
    await handle.signal(addNoteSignal, { by: 'alice', text: 'memory climbing since deploy' });
    await env.sleep('7m');
    await handle.signal(resolveSignal, { by: 'alice', summary: 'rolled back' });
    await env.sleep('31m');
    // result() on the time-skipping client would lock the clock for the sleeps below; the query answers.
    const outcome = await handle.query(statusQuery);
    const review = readFileSync(path.join(baseDir, outcome.reviewPath as string), 'utf8');
    const reminder = env.client.workflow.getHandle(`${outcome.incidentId}-review`);
    handles.push(reminder);
    // The review lists every event up to resolution with its elapsed time.
    const view = outcome;
    for (const e of view.timeline.filter((t) => t.type !== 'review'))
      expect(review).toContain(`**${e.at.slice(11, 16)}**: ${e.message}`);
    expect(review).toContain('- **Time to acknowledge**: 3:00');
    // Resolved at 10:00 (3:00 + 7:00), then a 30:00 stability watch: closed at 40:00 to the second.
    expect(review).toContain(`- **Time to resolve**: ${since(view, view.resolvedAt as string)}`);
    expect(since(view, view.resolvedAt as string)).toBe('40:00');
    expect(review).toContain('memory climbing since deploy (alice) _(+3:00');
    expect(review).toContain('## Root Cause Analysis');
    // The reminder outlives the incident; its 24 h wait is exercised on its own below.
    expect((await reminder.describe()).status.name).toBe('RUNNING');
  });

  test('a review that cannot be written is recorded, the incident still closes, and its group opens anew', async () => {
    const directory = config.review.directory;
    config.review.directory = '/dev/null/reviews'; // ENOTDIR on every attempt, like a full or read-only disk
    try {
      const handle = await open({ service: 'unwatched', dedupKey: 'review-fails' });
      await handle.signal(resolveSignal, { by: 'alice', summary: 'fixed by hand' });
      await env.sleep('10m'); // the write is retried a few times (about 30 s of backoff), then given up
      const view = await handle.query(statusQuery);
      expect(view.status).toBe('resolved');
      expect(view.reviewPath).toBeNull();
      const errors = view.timeline.filter((e) => e.type === 'error').map((e) => e.message);
      // Its file, from the store and then from the workflow's own timeline; the store still holds it.
      expect(errors).toEqual([
        expect.stringMatching(/^the review from the system of record could not be written: .*ENOTDIR/),
        expect.stringMatching(/^post-incident review could not be written: .*ENOTDIR/),
      ]);
      expect((await reviewOf(store, view.incidentId))?.resolution).toBe('fixed by hand');
      expect((await handle.describe()).status.name).toBe('COMPLETED');
      // Nothing holds the group: its next alert opens a new incident instead of being swallowed.
      const next = await env.client.workflow.signalWithStart(incidentWorkflow, {
        taskQueue,
        workflowId: handle.workflowId,
        args: [
          {
            dedupKey: 'review-fails',
            service: 'unwatched',
            scenario: 'health',
            severity: 'P1',
            summary: 'again',
            security: false,
          },
        ],
        signal: alertSignal,
        signalArgs: [{ alerts: [] }],
      });
      expect(next.signaledRunId).not.toBe(handle.firstExecutionRunId);
      handles.push(next);
    } finally {
      config.review.directory = directory;
    }
  });

  test('each runbook run ends in the timeline, and a reopened incident runs its runbook again', async () => {
    healthy = true;
    const handle = await open({ service: 'watched-runbook' });
    await env.sleep('2m'); // the runbook looks, finds the service healthy or cannot reach Docker, and ends
    await handle.signal(acknowledgeSignal, { by: 'alice' });
    await handle.signal(resolveSignal, { by: 'alice', summary: 'restarted by hand' });
    await env.sleep('6m');
    healthy = false; // the next watch check fails: relapse
    await env.sleep('5m');
    let view = await handle.query(statusQuery);
    expect(entries(view, 'reopened')).toHaveLength(1);
    await env.sleep('3m');
    view = await handle.query(statusQuery);
    const ends = view.timeline.filter((e) => e.type === 'runbook').map((e) => e.message);
    expect(ends).toHaveLength(2);
    for (const end of ends) expect(end).toMatch(/^runbook (health finished: |failed: )/);
    for (const id of [`${view.incidentId}-runbook`, `${view.incidentId}-runbook-2`]) {
      const child = await env.client.workflow.getHandle(id).describe();
      expect(child.status.name).not.toBe('RUNNING');
    }
    // A runbook that ended leaves no one believing it still acts.
    expect(view.status).not.toBe('mitigating');
    healthy = true;
  });

  test('the review reminder posts after 24 h unless the review is scheduled', async () => {
    const start = (id: string) =>
      env.client.workflow.start(reviewReminderWorkflow, {
        taskQueue,
        workflowId: `${id}-${Date.now()}`,
        args: [{ incidentId: id, reviewPath: `incidents/${id}.md`, thread: null, remindAfterMs: 86_400_000 }],
      });
    const forgotten = await start('forgotten');
    const scheduled = await start('scheduled');
    handles.push(forgotten, scheduled);
    await env.sleep('23h');
    await scheduled.signal(reviewScheduledSignal, { by: 'carol', when: 'tomorrow 10:00' });
    expect((await forgotten.describe()).status.name).toBe('RUNNING');
    await env.sleep('2h');
    expect((await forgotten.describe()).status.name).toBe('COMPLETED');
    expect((await scheduled.describe()).status.name).toBe('COMPLETED');
    const journal = readFileSync(path.join(baseDir, '.data/notifications.jsonl'), 'utf8');
    expect(journal).toContain('Reminder: the post-incident review for forgotten');
    expect(journal).not.toContain('Reminder: the post-incident review for scheduled');
  });

  test('signals that make no sense change nothing and are recorded as ignored, with why', async () => {
    const handle = await open();
    await handle.signal(acknowledgeSignal, { by: 'alice' });
    await handle.signal(acknowledgeSignal, { by: 'bob' });
    await handle.signal(setSeveritySignal, { by: 'bob', severity: 'P9' });
    await handle.signal(approveSignal, { by: 'bob', step: 'rollback' });
    await env.sleep('1s');
    const view = await handle.query(statusQuery);
    expect(view.acknowledgedBy).toBe('alice');
    expect(view.severity).toBe('P1');
    expect(view.timeline.filter((e) => e.type === 'ignored').map((e) => `${e.actor}: ${e.message}`)).toEqual([
      'bob: ignored acknowledge: incident is already acknowledged by alice',
      'bob: ignored setSeverity: unknown severity "P9"',
      'bob: ignored approve: no step "rollback" is waiting for approval',
    ]);
  });
});
