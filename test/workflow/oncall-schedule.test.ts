/**
 * A ladder level that names a schedule pages whoever is on call at the moment of each page: an incident
 * opened 5 minutes before a handoff pages the outgoing person, and the 15:00 re-page the incoming one.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { incidentWorkflow } from '../../workflows/incident';
import { statusQuery } from '../../workflows/messages';
import { formatElapsed } from '../../workflows/policy';
import { testConfig } from '../support/config';
import { eventually } from '../support/eventually';
import { describeWith } from '../support/services';
import { createTestWorker, createTimeSkippingEnv, tempDir, uniqueTaskQueue } from '../support/temporal';

const ZONE = 'Europe/Berlin';

/** The wall time an instant shows in `timeZone`, as a schedule's "YYYY-MM-DDTHH:MM". */
function wallTime(ms: number, timeZone: string): string {
  return new Intl.DateTimeFormat('sv-SE', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  })
    .format(new Date(ms))
    .replace(' ', 'T');
}

describeWith(['testServer'], 'on-call schedules on workflow time (time-skipping server)', () => {
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let running: Promise<void>;
  const taskQueue = uniqueTaskQueue('oncall');
  // The server's clock starts at the real time: the handoff is 5 minutes (and the seconds to the next
  // minute) from now, and the rotation began an hour before it.
  const handoff = Math.ceil(Date.now() / 60_000) * 60_000 + 5 * 60_000;

  beforeAll(async () => {
    env = await createTimeSkippingEnv();
    const config = testConfig({
      schedules: {
        primary: {
          timeZone: ZONE,
          layers: [
            {
              name: 'hourly',
              participants: ['primary-oncall', 'secondary-oncall'],
              start: wallTime(handoff - 3_600_000, ZONE),
              rotation: '1h',
            },
          ],
        },
      },
      escalation: { ladder: [{ name: 'on call', schedule: 'primary' }], repeat: 2 },
    });
    worker = await createTestWorker({
      connection: env.nativeConnection,
      config,
      taskQueue,
      baseDir: tempDir(),
    });
    running = worker.run();
  });

  afterAll(async () => {
    worker?.shutdown();
    await running;
    await env?.teardown();
  });

  test('opened before the handoff: the outgoing person at 0:00, the incoming one at the 15:00 re-page', async () => {
    const handle = await env.client.workflow.start(incidentWorkflow, {
      taskQueue,
      workflowId: `oncall-${Date.now()}`,
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
    await env.sleep('1s');
    const opened = await handle.query(statusQuery);
    const createdAt = Date.parse(opened.createdAt);
    expect(handoff - createdAt).toBeGreaterThan(4 * 60_000);
    expect(handoff - createdAt).toBeLessThan(15 * 60_000);
    await env.sleep('16m');
    const view = await eventually(async () => {
      const v = await handle.query(statusQuery);
      expect(v.paged.filter((p) => p.level >= 0)).toHaveLength(2);
      return v;
    });
    const pages = view.paged
      .filter((p) => p.level >= 0)
      .map((p) => `${formatElapsed(Date.parse(p.at) - createdAt)} ${p.levelName}: ${p.contacts.join(', ')}`);
    expect(pages).toEqual(['0:00 on call: Primary on-call', '15:00 on call: Secondary on-call']);
    const reasons = view.timeline.filter((e) => e.type === 'page').map((e) => e.message);
    expect(reasons[0]).toContain('on call in schedule primary (hourly)');
    expect(reasons[1]).toContain('on call in schedule primary (hourly)');
    await handle.terminate('test finished');
  });
});
