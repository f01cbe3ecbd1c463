/**
 * A ladder level that names a schedule pages whoever is on call at the moment of each page: an incident
 * opened 5 minutes before a handoff pages the outgoing person, and the 15:00 re-page the incoming one.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { IncidentWorker } from '../../workers/worker';
import { incidentWorkflow } from '../../workflows/incident';
import { WithStartWorkflowOperation } from '@temporalio/client';
import { maintenanceWorkflow } from '../../workflows/oncall/maintenance';
import {
  acknowledgeUpdate,
  alertSignal,
  maintenanceWorkflowId,
  startMaintenanceUpdate,
  statusQuery,
} from '../../domain/messages';
import { formatElapsed } from '../../domain/policy';
import { testConfig } from '../../scripts/testbed/config';
import { eventually } from '../../scripts/testbed/eventually';
import { describeWith } from '../../scripts/testbed/services';
import type { SqlClient } from '../../store';
import { freshStore } from '../support/fresh-postgres';
import {
  createTestWorker,
  createTimeSkippingEnv,
  tempDir,
  uniqueTaskQueue,
} from '../../scripts/testbed/temporal';

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

describeWith(
  ['testServer', 'postgres'],
  'on-call schedules and maintenance on workflow time (time-skipping server)',
  () => {
    let env: TestWorkflowEnvironment;
    let worker: IncidentWorker;
    let running: Promise<void>;
    let store: SqlClient;
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
      store = await freshStore('oncall');
      worker = await createTestWorker({
        connection: env.nativeConnection,
        config,
        taskQueue,
        baseDir: tempDir(),
        store,
      });
      running = worker.run();
    });

    afterAll(async () => {
      worker?.shutdown();
      await running;
      await env?.teardown();
      await store?.close();
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
        .map(
          (p) => `${formatElapsed(Date.parse(p.at) - createdAt)} ${p.levelName}: ${p.contacts.join(', ')}`,
        );
      expect(pages).toEqual(['0:00 on call: Primary on-call', '15:00 on call: Secondary on-call']);
      const reasons = view.timeline.filter((e) => e.type === 'page').map((e) => e.message);
      expect(reasons[0]).toContain('on call in schedule primary (hourly)');
      expect(reasons[1]).toContain('on call in schedule primary (hourly)');
      await handle.terminate('test finished');
    });

    test('maintenance: suppressed while it lasts, resolved inside it never pages, still firing at its end opens', async () => {
      const service = 'checkout-maint';
      const startsAt = await env.currentTimeMs();
      await env.client.workflow.executeUpdateWithStart(startMaintenanceUpdate, {
        args: [{ to: startsAt + 2 * 3_600_000, by: 'ops', reason: 'database upgrade' }],
        startWorkflowOperation: new WithStartWorkflowOperation(maintenanceWorkflow, {
          workflowId: maintenanceWorkflowId(service),
          taskQueue,
          args: [{ service }],
          workflowIdConflictPolicy: 'USE_EXISTING',
        }),
      });
      const open = (key: string) =>
        env.client.workflow.start(incidentWorkflow, {
          taskQueue,
          workflowId: `maint-${key}-${Date.now()}`,
          args: [
            { dedupKey: key, service, scenario: 'health', severity: 'P1', summary: 'down', security: false },
          ],
        });
      const stillFiring = await open('firing');
      const resolvedInside = await open('resolved');
      const alert = (status: 'firing' | 'resolved') => ({
        alerts: [{ fingerprint: 'f1', status, summary: 'down', labels: {}, source: 'generic' as const }],
      });
      await stillFiring.signal(alertSignal, alert('firing'));
      await resolvedInside.signal(alertSignal, alert('firing'));
      await env.sleep('1s');
      for (const h of [stillFiring, resolvedInside]) {
        const v = await h.query(statusQuery);
        expect([v.status, v.paged.length]).toEqual(['suppressed', 0]);
        expect(v.timeline.map((e) => e.message).join('\n')).toContain(
          'suppressed: checkout-maint is in maintenance until',
        );
      }
      // Nobody is paged, so nobody can acknowledge; the refusal says why.
      await expect(
        stillFiring.executeUpdate(acknowledgeUpdate, { args: [{ by: 'amy' }] }),
      ).rejects.toMatchObject({
        cause: { message: expect.stringMatching(/^incident is suppressed by a maintenance window until /) },
      });
      await env.sleep('30m');
      await resolvedInside.signal(alertSignal, alert('resolved'));
      await env.sleep('1s');
      // Closed inside the window: resolved, no review (nothing happened that people did).
      expect(await resolvedInside.result()).toMatchObject({ status: 'resolved', reviewPath: null });
      const closed = await resolvedInside.query(statusQuery);
      expect([closed.status, closed.paged.length]).toEqual(['resolved', 0]);

      await env.sleep('91m'); // past the window's end
      const opened = await eventually(async () => {
        const v = await stillFiring.query(statusQuery);
        // The server skips on while this polls: later rungs may follow; the first page is what counts.
        expect(v.paged.filter((p) => p.level >= 0).length).toBeGreaterThan(0);
        return v;
      });
      expect(opened.status).toBe('triggered');
      const pagedAt = Date.parse(opened.paged[0].at);
      expect(formatElapsed(pagedAt - startsAt)).toBe('2:00:00');
      await stillFiring.terminate('test finished');
    });
  },
);
