/**
 * A signal and an Update that arrive in the same workflow task, while the loop answers the signal with an
 * activity: the history must replay. The time-skipping simulation found histories of this shape that do not
 * (the Update's events written before the activity the signal caused); this checks the real server.
 */
import type { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { sendCommand } from '../../intake/commands';
import { incidentWorkflow } from '../../workflows/incident';
import { alertSignal } from '../../domain/messages';
import { testConfig } from '../../scripts/testbed/config';
import { startDevWorker, type DevWorker } from '../support/dev-server';
import { describeWith } from '../../scripts/testbed/services';
import { workflowBundle } from '../../scripts/testbed/temporal';

describeWith(['temporal'], 'signals and Updates in one workflow task (dev server)', () => {
  let dev: DevWorker;
  beforeAll(async () => {
    dev = await startDevWorker(testConfig());
  });
  afterAll(async () => dev?.close());

  test('a resend and a note sent together, forty times or more: the history replays', async () => {
    const handle = await dev.client.workflow.start(incidentWorkflow, {
      taskQueue: dev.taskQueue,
      workflowId: `signal-update-${Date.now()}`,
      args: [
        {
          dedupKey: 'su',
          service: 'checkout',
          scenario: 'health',
          severity: 'P1',
          summary: 'su',
          security: false,
        },
      ],
    });
    try {
      const send = (n: number) =>
        Promise.all([
          handle.signal(alertSignal, {
            alerts: [
              {
                fingerprint: `f${n}`,
                status: 'firing',
                summary: `again ${n}`,
                labels: { alertname: 'Su' },
                source: 'generic',
              },
            ],
          } as never),
          sendCommand(handle, 'addNote', { by: 'su', text: `note ${n}` }),
        ]);
      // Whether a pair lands in one task is a race (3 to 6 of 40 here, none in a loaded CI run): 80 pairs, then
      // the shape made for certain — with no worker polling, a signal, then an Update; the worker that starts
      // next gets both in its first task.
      for (let n = 0; n < 80; n++) await send(n);
      let together = sameTask(await handle.fetchHistory());
      console.log(`${together} of 80 Updates were delivered in a task with a signal`);
      if (!together) {
        await dev.stop();
        await handle.signal(alertSignal, {
          alerts: [{ fingerprint: 'made', status: 'firing', summary: 'made', labels: {}, source: 'generic' }],
        } as never);
        const note = sendCommand(handle, 'addNote', { by: 'su', text: 'made' });
        await new Promise((r) => setTimeout(r, 1000));
        await dev.start();
        expect(await note).toMatchObject({ accepted: true });
        together = sameTask(await handle.fetchHistory());
      }
      expect(together).toBeGreaterThan(0);
      await expect(
        Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, await handle.fetchHistory()),
      ).resolves.toBeUndefined();
    } finally {
      await handle.terminate('done').catch(() => undefined);
    }
  });
});

/**
 * Updates accepted by a workflow task that also delivered a signal: a signal recorded after the previous task
 * completed and before this one started.
 */
function sameTask(history: { events?: temporal.api.history.v1.IHistoryEvent[] | null }): number {
  let signalled = false;
  let together = 0;
  let taskHadSignal = false;
  for (const e of history.events ?? []) {
    if (e.workflowExecutionSignaledEventAttributes) signalled = true;
    if (e.workflowTaskStartedEventAttributes) {
      taskHadSignal = signalled;
      signalled = false;
    }
    if (e.workflowExecutionUpdateAcceptedEventAttributes && taskHadSignal) together++;
  }
  return together;
}
