/**
 * Records workflow histories for the replay test (`npm run record-histories`), as `v2-*.json` (the state
 * machine). Never overwrite a history a released version recorded: the un-prefixed files are the frozen
 * pre-state-machine code's and must keep replaying. Guard command changes with `patched()`.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { WorkflowHandle } from '@temporalio/client';
import { incidentWorkflow } from '../workflows/incident';
import {
  acknowledgeSignal,
  acknowledgeUpdate,
  addNoteSignal,
  alertSignal,
  escalateSignal,
  escalateUpdate,
  resolveSignal,
  reviewScheduledSignal,
  setSeveritySignal,
} from '../workflows/messages';
import { historyEvents, waitUntilIdle } from '../test/support/history';
import type { IncidentInput } from '../workflows/types';
import { testConfig } from '../test/support/config';
import { createTestWorker, createTimeSkippingEnv, tempDir } from '../test/support/temporal';

const OUT = path.resolve(__dirname, '..', 'test', 'histories');

async function main() {
  process.env.RUNBOOKS_TEST_SERVER_PATH ??= path.resolve(
    __dirname,
    '..',
    '.tools',
    'bin',
    'temporal-test-server',
  );
  const env = await createTimeSkippingEnv();
  const taskQueue = 'record-histories';
  const worker = await createTestWorker({
    connection: env.nativeConnection,
    config: testConfig({
      resolution: { stabilityWatch: '10m', checkEvery: '5m' },
      history: { continueAsNewAfterEvents: 200 },
    }),
    taskQueue,
    baseDir: tempDir(),
  });
  const input = (dedupKey: string, extra: Partial<IncidentInput> = {}): IncidentInput => ({
    dedupKey,
    service: 'checkout',
    scenario: 'health',
    severity: 'P1',
    summary: `recorded ${dedupKey}`,
    security: false,
    ...extra,
  });
  const scenarios: Record<string, (h: WorkflowHandle<typeof incidentWorkflow>) => Promise<void>> = {
    'p1-unacknowledged-ladder': async () => {
      await env.sleep('130m');
    },
    'p1-acknowledged-resolved': async (h) => {
      await env.sleep('5m');
      await h.signal(acknowledgeSignal, { by: 'alice' });
      await h.signal(addNoteSignal, { by: 'alice', text: 'looking' });
      await env.sleep('40m');
      await h.signal(reviewScheduledSignal, { by: 'alice' });
      await h.signal(resolveSignal, { by: 'alice', summary: 'fixed' });
      await env.sleep('1m');
    },
    'p2-severity-escalate-alerts': async (h) => {
      await env.sleep('10m');
      await h.signal(setSeveritySignal, { by: 'bob', severity: 'P1' });
      await h.signal(escalateSignal, { by: 'bob', reason: 'need help' });
      await h.signal(alertSignal, {
        alerts: [{ fingerprint: 'f1', status: 'firing', summary: 'a', labels: {}, source: 'alertmanager' }],
      });
      await env.sleep('20m');
      await h.signal(alertSignal, {
        alerts: [{ fingerprint: 'f1', status: 'resolved', summary: 'a', labels: {}, source: 'alertmanager' }],
      });
      await env.sleep('2m');
    },
    'p3-ticket': async () => {
      await env.sleep('5h');
    },
    // Updates, an ack timeout re-alert, an escalation, and closing when every alert resolved.
    'p1-update-ack-timeout-close': async (h) => {
      await env.sleep('3m');
      await h.executeUpdate(acknowledgeUpdate, { args: [{ by: 'alice' }] });
      await env.sleep('35m');
      await h.executeUpdate(escalateUpdate, { args: [{ by: 'alice', reason: 'need the DB team' }] });
      await h.signal(alertSignal, {
        alerts: [{ fingerprint: 'f1', status: 'resolved', summary: 'a', labels: {}, source: 'alertmanager' }],
      });
      await env.sleep('2m');
    },
    // Enough distinct alerts to continue as new; the first run (ending in continue-as-new) is recorded.
    'p2-continue-as-new': async (h) => {
      for (let n = 0; n < 120; n++)
        await h.signal(alertSignal, {
          alerts: [
            { fingerprint: `f${n}`, status: 'firing', summary: `a${n}`, labels: {}, source: 'alertmanager' },
          ],
        });
      await env.sleep('1m');
    },
  };
  mkdirSync(OUT, { recursive: true });
  await worker.runUntil(async () => {
    for (const [name, drive] of Object.entries(scenarios)) {
      const severity = name.startsWith('p2') ? 'P2' : name.startsWith('p3') ? 'P3' : 'P1';
      const handle = await env.client.workflow.start(incidentWorkflow, {
        taskQueue,
        workflowId: `recorded-v2-${name}`,
        args: [input(name, { severity })],
      });
      await env.sleep('1s');
      await drive(handle);
      await waitUntilIdle(handle).catch(() => undefined);
      const first = env.client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId);
      const history = await first.fetchHistory();
      await handle.terminate('recorded').catch(() => undefined);
      writeFileSync(path.join(OUT, `v2-${name}.json`), historyToJSON(history));
      console.log(
        `recorded v2-${name}: ${history.events?.length} events (last run: ${(await historyEvents(handle)).length})`,
      );
    }
  });
  await env.teardown();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
