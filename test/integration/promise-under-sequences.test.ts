/**
 * Issue 24's reproductions on the dev server with a real worker: the ladder runs out and the severity
 * changes (it used to spin the workflow task and crash the worker), garbage on every signal, and the
 * Temporal UI's "Request Cancellation" on a triggered P1.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { incidentWorkflow } from '../../workflows/incident';
import { COMMAND_NAMES } from '../../workflows/incident/commands';
import {
  COMMANDS,
  alertSignal,
  reviewScheduledSignal,
  runbookReportSignal,
  statusQuery,
} from '../../domain/messages';
import { sendCommand } from '../../intake/commands';
import { testConfig } from '../../scripts/testbed/config';
import { startDevWorker, type DevWorker } from '../support/dev-server';
import { eventually } from '../../scripts/testbed/eventually';
import { EventType } from '../../scripts/testbed/history';
import { describeWith } from '../../scripts/testbed/services';
import { activityCounts } from '../support/history-checks';

const failedTask = (e: { eventType?: unknown }) =>
  e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED ||
  e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT;

describeWith(['temporal'], 'the promise under every sequence (dev server)', () => {
  let dev: DevWorker;
  const handles: WorkflowHandle[] = [];
  beforeAll(async () => {
    dev = await startDevWorker(
      testConfig({
        severityPolicy: {
          P1: { respondWithin: '2s', statusUpdateEvery: null },
          P2: { respondWithin: '4s', statusUpdateEvery: null },
        },
        escalation: { repeat: 0 },
      }),
    );
  });
  afterAll(async () => {
    for (const h of handles) await h.terminate('suite finished').catch(() => undefined);
    await dev?.close();
  });

  async function open(name: string) {
    const handle = await dev.client.workflow.start(incidentWorkflow, {
      taskQueue: dev.taskQueue,
      workflowId: `promise-${name}-${Date.now()}`,
      args: [
        {
          dedupKey: name,
          service: 'checkout',
          scenario: 'health',
          severity: 'P1',
          summary: name,
          security: false,
        },
      ],
    });
    handles.push(handle);
    return handle;
  }

  async function failedTasks(handle: WorkflowHandle) {
    const history = await handle.fetchHistory();
    return (history.events ?? []).filter(failedTask).length;
  }

  test('ladder run out, then a severity change: it keeps paging the last level, answers at once, no task fails', async () => {
    const handle = await open('ladder-out');
    const ladder = testConfig().escalation.ladder.length;
    // Past the ladder: the last level is paged again at the P1 cadence (afterLadder: repeat-last).
    await eventually(async () => {
      const v = await handle.query(statusQuery);
      expect(v.paged.filter((p) => p.level >= 0).length).toBeGreaterThanOrEqual(ladder + 1);
    }, 30_000);
    const severity = await sendCommand(handle, 'setSeverity', { severity: 'P2', by: 'alice' });
    expect(severity).toMatchObject({ accepted: true, status: 'triggered' });
    const before = (await handle.query(statusQuery)).paged.length;
    // The P2 cadence (4 s): at least one more page within 10 s, all to the last level.
    await eventually(async () => {
      const v = await handle.query(statusQuery);
      expect(v.paged.length).toBeGreaterThan(before);
    }, 15_000);
    const started = Date.now();
    const ack = await sendCommand(handle, 'acknowledge', { by: 'alice' });
    expect(ack).toMatchObject({ accepted: true, status: 'acknowledged' });
    expect(Date.now() - started).toBeLessThan(5000);
    const view = await handle.query(statusQuery);
    const ladderPages = view.paged.filter((p) => p.level >= 0);
    expect(new Set(ladderPages.slice(ladder).map((p) => p.level))).toEqual(new Set([ladder - 1]));
    expect(await failedTasks(handle)).toBe(0);
  }, 90_000);

  test('garbage on every signal leaves the incident answering', async () => {
    const handle = await open('garbage');
    await eventually(async () => expect((await handle.query(statusQuery)).paged.length).toBeGreaterThan(0));
    const garbage: unknown[] = [
      null,
      7,
      'text',
      [1, 2],
      { evidence: 'not an array', kind: 'finding', message: 'm' },
      { by: { toString: 1 } },
      {
        alerts: [
          { fingerprint: 'f', status: 'firing', summary: 's', labels: { a: { toString: 1 } }, url: 5 },
        ],
      },
    ];
    for (const g of garbage) {
      await handle.signal(alertSignal, g as never);
      await handle.signal(runbookReportSignal, g as never);
      await handle.signal(reviewScheduledSignal, g as never);
      // A resolve takes any payload (the person is "unknown") and would close the incident under test;
      // garbage resolves are covered by the property tests. An acknowledge or escalate so sent acts too.
      for (const name of COMMAND_NAMES.filter((n) => n !== 'resolve'))
        await handle.signal(COMMANDS[name].signal as never, g as never);
    }
    // Still answering: an Update is carried out, and the query shows the garbage recorded as ignored.
    const note = await sendCommand(handle, 'addNote', { text: 'still answering', by: 'bob' });
    expect(note).toMatchObject({ accepted: true });
    const view = await handle.query(statusQuery);
    expect(view.timeline.filter((e) => e.type === 'ignored').length).toBeGreaterThan(0);
    expect(view.timeline.some((e) => e.message === 'still answering')).toBe(true);
    expect(await failedTasks(handle)).toBe(0);
  }, 60_000);

  test('"Request Cancellation" closes the P1 as cancelled: timeline, thread, PagerDuty resolved, review', async () => {
    const handle = await open('cancel');
    await eventually(async () => expect((await handle.query(statusQuery)).paged.length).toBeGreaterThan(0));
    await handle.cancel();
    await expect(handle.result()).rejects.toThrow();
    const description = await handle.describe();
    expect(description.status.name).toBe('CANCELLED');
    const history = await handle.fetchHistory();
    const scheduled = (history.events ?? [])
      .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)
      .filter(Boolean);
    expect(scheduled).toEqual(expect.arrayContaining(['cancellationRequest', 'sendPagingUpdate']));
    // The review, from the store, where the workflow task ran (engine revision 5: the worker holds the store).
    expect(activityCounts(history.events ?? [], 'writeStoredReviewHere')).toEqual({ scheduled: 0, local: 1 });
    expect(description.searchAttributes.IncidentStatus).toEqual(['cancelled']);
    expect(await failedTasks(handle)).toBe(0);
  }, 60_000);
});
