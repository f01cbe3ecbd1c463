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

  test('a resend and a note sent together, forty times: the history replays', async () => {
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
      for (let i = 0; i < 40; i++) {
        const alert = {
          fingerprint: `f${i}`,
          status: 'firing',
          summary: `again ${i}`,
          labels: { alertname: 'Su' },
          source: 'generic',
        };
        await Promise.all([
          handle.signal(alertSignal, { alerts: [alert] } as never),
          sendCommand(handle, 'addNote', { by: 'su', text: `note ${i}` }),
        ]);
      }
      const history = await handle.fetchHistory();
      // The shape in question happened: an Update delivered right after a signal, in the same task.
      const events = history.events ?? [];
      const signals = new Set(
        events.filter((e) => e.workflowExecutionSignaledEventAttributes).map((e) => String(e.eventId)),
      );
      const together = events.filter((e) =>
        signals.has(
          String(e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequestSequencingEventId ?? ''),
        ),
      );
      console.log(`${together.length} of 40 Updates were delivered with a signal`);
      expect(together.length).toBeGreaterThan(0);
      await expect(
        Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history),
      ).resolves.toBeUndefined();
    } finally {
      await handle.terminate('done').catch(() => undefined);
    }
  });
});
