/**
 * A signal and an Update that arrive in the same workflow task, while the loop answers the signal with an
 * activity: the history must replay. The time-skipping simulation found histories of this shape that do not
 * (the Update's events written before the activity the signal caused); this checks the real server.
 */
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
      // Whether a pair lands in one task is a race (3 to 6 of 40 here, none once in a loaded CI run): rounds of
      // 40 pairs until the shape happened, at most four.
      let history: Awaited<ReturnType<typeof handle.fetchHistory>> | undefined;
      let together = 0;
      for (let sent = 0; sent < 160 && !together;) {
        for (const end = sent + 40; sent < end; sent++) {
          const alert = {
            fingerprint: `f${sent}`,
            status: 'firing',
            summary: `again ${sent}`,
            labels: { alertname: 'Su' },
            source: 'generic',
          };
          await Promise.all([
            handle.signal(alertSignal, { alerts: [alert] } as never),
            sendCommand(handle, 'addNote', { by: 'su', text: `note ${sent}` }),
          ]);
        }
        history = await handle.fetchHistory();
        // The shape in question: an Update delivered right after a signal, in the same task.
        const events = history.events ?? [];
        const signals = new Set(
          events.filter((e) => e.workflowExecutionSignaledEventAttributes).map((e) => String(e.eventId)),
        );
        together = events.filter((e) =>
          signals.has(
            String(e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequestSequencingEventId ?? ''),
          ),
        ).length;
        console.log(`${together} of ${sent} Updates were delivered with a signal`);
      }
      expect(together).toBeGreaterThan(0);
      await expect(
        Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history!),
      ).resolves.toBeUndefined();
    } finally {
      await handle.terminate('done').catch(() => undefined);
    }
  });
});
