import Docker from 'dockerode';
import { WithStartWorkflowOperation, type WorkflowHandle } from '@temporalio/client';
import { INSIGHTS_APP_IMAGE } from '../../scripts/testbed/images';
import {
  buildFaultyRelease,
  deployInsightsStack,
  injectFault,
  removeInsightsStack,
  type InsightsStack,
  type StackOptions,
} from '../../scripts/testbed/insights-stack';
import { incidentWorkflow } from '../../workflows/incident';
import { restartLedgerWorkflow } from '../../workflows/ledger/restart-ledger';
import { claimRestartUpdate, restartLedgerWorkflowId } from '../../domain/restart-claims';
import {
  approveSignal,
  rejectSignal,
  resolveUpdate,
  setSeverityUpdate,
  statusQuery,
} from '../../domain/messages';
import type { IncidentStatusView, Scenario } from '../../domain/types';
import { testConfig } from '../../scripts/testbed/config';
import { engineActions } from '../support/docker-events';
import { startDevWorker, type DevWorker } from '../support/dev-server';
import { eventually } from '../../scripts/testbed/eventually';
import { openTimers, scheduledActivities, waitUntilIdle } from '../../scripts/testbed/history';
import { runbookTaskQueue } from '../../domain/task-queues';
import { describeWith, serviceValue } from '../../scripts/testbed/services';

const RUNBOOK_SETTINGS = {
  resolution: { settleAfterMitigation: '2s' },
  runbooks: {
    memoryThresholdPercent: 60,
    recurrenceWindow: '15s',
    sampleEvery: '1s',
    stopTimeout: '2s',
    restartBudget: { max: 3, window: '1h' },
  },
  // P1 answers within 4 s here, so a proposal re-timed by a change to P1 times out within the test.
  severityPolicy: { P1: { respondWithin: '4s', statusUpdateEvery: null }, P2: { statusUpdateEvery: null } },
};

describeWith(
  ['temporal', 'docker', 'postgres'],
  'runbooks on the real Docker Engine, PostgreSQL and the insights-app',
  () => {
    let docker: Docker;
    let dev: DevWorker;
    const stacks: InsightsStack[] = [];
    const handles: WorkflowHandle[] = [];
    const env: Record<string, string | undefined> = {};
    const services: Record<string, unknown> = {};
    let config: ReturnType<typeof testConfig>;
    let seq = 0;

    beforeAll(async () => {
      docker = new Docker({ socketPath: serviceValue('docker') });
      env.DOCKER_SOCKET = serviceValue('docker');
      // Services are added to the config before the worker starts; each test deploys its own stack.
      for (const name of [
        'db-down',
        'missing-env',
        'memory',
        'memory-leak',
        'pool',
        'approvals',
        'health',
        'budget',
        'dry-run',
        'rollback',
      ]) {
        services[`insights-${name}`] = {
          container: `rb-${name}-app`,
          databaseContainer: `rb-${name}-db`,
          databaseUrlEnv: `DB_URL_${name.toUpperCase().replace(/-/g, '_')}`,
          healthUrls: [],
          dryRun: name === 'dry-run',
        };
      }
      config = testConfig({ ...RUNBOOK_SETTINGS, services: services as never });
      dev = await startDevWorker(config, env);
      // Restart ledgers left by an earlier run of this suite live on that run's task queue, which no worker polls.
      for (const svc of Object.values(services) as { container: string }[])
        await dev.client.workflow
          .getHandle(restartLedgerWorkflowId(svc.container))
          .terminate('earlier test run')
          .catch(() => undefined);
    });
    afterAll(async () => {
      for (const h of handles) await h.terminate('suite finished').catch(() => undefined);
      await dev?.close();
      for (const s of stacks) await removeInsightsStack(docker, s);
    });

    /** Deploys the stack for a service and points the service's health URLs and database env var at it. */
    async function stackFor(name: string, opts: Omit<StackOptions, 'prefix'> = {}): Promise<InsightsStack> {
      const stack = await deployInsightsStack(docker, { prefix: `rb-${name}`, ...opts });
      stacks.push(stack);
      env[`DB_URL_${name.toUpperCase().replace(/-/g, '_')}`] = stack.databaseUrl;
      // Ports are known only now; the worker reads the service's config when an incident opens.
      config.services[`insights-${name}`].healthUrls = stack.healthUrls;
      return stack;
    }

    async function openIncident(name: string, scenario: Scenario) {
      seq += 1;
      const handle = await dev.client.workflow.start(incidentWorkflow, {
        taskQueue: dev.taskQueue,
        workflowId: `rb-${name}-${seq}-${Date.now()}`,
        args: [
          {
            dedupKey: `rb-${name}-${seq}`,
            service: `insights-${name}`,
            scenario,
            severity: 'P2',
            summary: `${name} drill`,
            security: false,
          },
        ],
      });
      handles.push(handle);
      return handle;
    }

    const finished = (handle: WorkflowHandle, timeoutMs = 90_000) =>
      eventually(
        async () => {
          const v = await handle.query(statusQuery);
          expect(v.timeline.some((e) => e.type === 'runbook')).toBe(true);
          return v;
        },
        timeoutMs,
        500,
      );
    const text = (v: IncidentStatusView) => v.timeline.map((e) => `${e.type}: ${e.message}`).join('\n');
    /** The incident once its runbook proposes `step` and waits for an answer. */
    const proposal = (handle: WorkflowHandle, step: string, timeoutMs = 60_000) =>
      eventually(
        async () => {
          const v = await handle.query(statusQuery);
          expect(v.pendingApprovals.map((p) => p.step)).toEqual([step]);
          return v;
        },
        timeoutMs,
        250,
      );
    const startedAt = async (container: string) =>
      (await docker.getContainer(container).inspect()).State.StartedAt;
    const restartsSince = async (container: string, sinceMs: number) =>
      (await engineActions(docker, container, sinceMs, ['restart'])).length;

    test("won't start, database down: starts the database, waits for it, restarts the app, verifies health", async () => {
      const stack = await stackFor('db-down');
      await docker.getContainer(stack.db).stop({ t: 1 });
      await docker.getContainer(stack.app).restart({ t: 1 });
      await eventually(
        async () => expect((await docker.getContainer(stack.app).inspect()).State.Running).toBe(false),
        20_000,
      );
      const view = await finished(await openIncident('db-down', 'wont-start'));
      const log = text(view);
      expect(log).toMatch(/finding: runbook wont-start \(wont-start\.yaml\) started for rb-db-down-app/);
      expect(log).toMatch(/finding: container rb-db-down-app: exited, exit code 1/);
      expect(log).toMatch(/database connection failed/);
      expect(log).toMatch(/action: mitigation: start database container rb-db-down-db/);
      expect(log).toMatch(/finding: database ready/);
      expect(log).toMatch(/action: mitigation done: rb-db-down-app restarted/);
      expect(log).toMatch(/finding: health after 0:02 settle: healthy/);
      expect(log).toMatch(/runbook wont-start finished: mitigated \(cause: database-unreachable\)/);
      expect((await docker.getContainer(stack.db).inspect()).State.Running).toBe(true);
      expect((await docker.getContainer(stack.app).inspect()).State.Running).toBe(true);
    });

    test("won't start, missing environment variable: diagnosed in plain words and escalated, nothing restarted", async () => {
      const stack = await stackFor('missing-env', { requireEnv: ['LICENSE_KEY'] });
      await eventually(
        async () => expect((await docker.getContainer(stack.app).inspect()).State.Status).toBe('exited'),
        20_000,
      );
      const before = await startedAt(stack.app);
      const view = await finished(await openIncident('missing-env', 'wont-start'));
      const log = text(view);
      expect(log).toMatch(/exit code 78/);
      expect(log).toMatch(/most telling: missing-env \(LICENSE_KEY\)/);
      expect(log).toMatch(
        /escalated: runbook escalates: cannot fix automatically: missing environment variable LICENSE_KEY/,
      );
      // The next level is paged with the diagnosis.
      const paged = await eventually(async () => {
        const v = await dev.client.workflow.getHandle(view.workflowId).query(statusQuery);
        expect(v.paged.filter((p) => p.level === 1)).toHaveLength(1);
        return v.paged.find((p) => p.level === 1);
      });
      expect(paged?.reason).toMatch(/missing environment variable LICENSE_KEY/);
      expect(await startedAt(stack.app)).toBe(before);
    });

    test('high memory: restarts to free memory, verifies health, sees it stay down', async () => {
      const stack = await stackFor('memory', { memoryMiB: 128, leakMiBPerSecond: 6 });
      await injectFault(stack, 'memory-leak');
      await eventually(
        async () => {
          const s = (await docker.getContainer(stack.app).stats({ stream: false })) as {
            memory_stats: { usage: number; limit: number };
          };
          expect(s.memory_stats.usage / s.memory_stats.limit).toBeGreaterThan(0.65);
        },
        30_000,
        250,
      );
      const before = await startedAt(stack.app);
      const view = await finished(await openIncident('memory', 'high-memory'));
      const log = text(view);
      const seen = /finding: memory \d+ MiB of 128 MiB \(([\d.]+)%\)/.exec(log);
      const oomKilled = /finding: container rb-memory-app: \w+.*, OOMKilled (true|false)/.exec(log);
      expect(seen).not.toBeNull();
      expect(oomKilled).not.toBeNull();
      // Over the threshold, or (on a slow machine) already OOM-killed: either way a restart is due.
      expect(Number(seen![1]) >= 60 || oomKilled![1] === 'true').toBe(true);
      expect(log).toMatch(
        /diagnosis \(rule 1\): high-memory — memory at [\d.]+% of the limit \(threshold 60%\)/,
      );
      expect(log).toMatch(/action: mitigation done: rb-memory-app restarted/);
      expect(log).toMatch(/watch: memory stays under 60% after the restart — held for 0:15/);
      expect(log).toMatch(/runbook high-memory finished: mitigated/);
      expect(await startedAt(stack.app)).not.toBe(before);
    });

    test('high memory that comes back: flags a probable leak and proposes a bigger limit; reject skips it', async () => {
      const stack = await stackFor('memory-leak', {
        memoryMiB: 192,
        fault: 'memory-leak',
        leakMiBPerSecond: 12,
      });
      await eventually(
        async () => {
          const s = (await docker.getContainer(stack.app).stats({ stream: false })) as {
            memory_stats: { usage: number; limit: number };
          };
          expect(s.memory_stats.usage / s.memory_stats.limit).toBeGreaterThan(0.62);
        },
        40_000,
        250,
      );
      const handle = await openIncident('memory-leak', 'high-memory');
      const pending = await proposal(handle, 'raise-memory-limit').catch(async (err) => {
        throw new Error(`${err}\n${text(await handle.query(statusQuery))}`);
      });
      expect(text(pending)).toMatch(/probable memory leak/);
      await handle.signal(rejectSignal, {
        by: 'erin',
        step: 'raise-memory-limit',
        reason: 'fix the leak instead',
      });
      const view = await finished(handle);
      expect(text(view)).toMatch(/approval: raise-memory-limit rejected: fix the leak instead by erin/);
      expect(view.pendingApprovals).toEqual([]);
      expect((await docker.getContainer(stack.app).inspect()).HostConfig.Memory).toBe(192 * 1024 * 1024);
    });

    test('pool exhausted: pg_stat_activity against DB_POOL_SIZE, raises the pool only after approve', async () => {
      const stack = await stackFor('pool', { poolSize: 5 });
      await injectFault(stack, 'pool-hold');
      await eventually(async () => expect((await fetch(stack.healthUrls[1])).status).toBe(503), 10_000);
      const handle = await openIncident('pool', 'pool-exhausted');
      const pending = await proposal(handle, 'raise-pool-size');
      expect(text(pending)).toMatch(/runbook pool-exhausted \(pool-exhausted\.yaml\) started/);
      expect(text(pending)).toMatch(
        /finding: pg_stat_activity: .*idle [5-9].*max_connections 60\); rb-pool-app DB_POOL_SIZE=5/,
      );
      expect(text(pending)).toMatch(/ConnectionPool exhausted/);
      expect(pending.pendingApprovals[0].proposal).toMatch(/DB_POOL_SIZE=20 \(now 5\)/);
      // The runbook is parked on its approval timer with no change scheduled: nothing can move before approve.
      const child = await waitUntilIdle(dev.client.workflow.getHandle(`${pending.incidentId}-runbook`));
      expect(openTimers(child)).toHaveLength(1);
      expect(scheduledActivities(child)).not.toContain('recreateContainer');
      const waiting = await docker.getContainer(stack.app).inspect();
      expect(waiting.Config.Env).toContain('DB_POOL_SIZE=5'); // nothing changes before approval
      await handle.signal(approveSignal, { by: 'frank', step: 'raise-pool-size' });
      const view = await finished(handle);
      const log = text(view);
      expect(log).toMatch(/approval: raise-pool-size approved by frank/);
      expect(log).toMatch(/rb-pool-app recreated with DB_POOL_SIZE=20/);
      expect(log).toMatch(/finding: health after 0:02 settle: healthy/);
      expect(log).toMatch(/runbook pool-exhausted finished: mitigated/);
      const after = await docker.getContainer(stack.app).inspect();
      expect(after.Config.Env).toContain('DB_POOL_SIZE=20');
      expect(after.State.Running).toBe(true);
    });

    test('a proposal waits by the current severity, times out with one escalation; a close stops the runbook', async () => {
      const stack = await stackFor('approvals', { poolSize: 5 });
      // No health endpoints: a resolve closes at once, while the runbook still waits for its answer.
      config.services['insights-approvals'].healthUrls = [];
      await injectFault(stack, 'pool-hold');
      await eventually(async () => expect((await fetch(stack.healthUrls[1])).status).toBe(503), 10_000);
      // Resolved while the proposal waits: the runbook is stopped, and the timeline says so.
      const first = await openIncident('approvals', 'pool-exhausted');
      const waiting = await proposal(first, 'raise-pool-size');
      await first.executeUpdate(resolveUpdate, { args: [{ by: 'erin', summary: 'pool drained by hand' }] });
      expect((await first.result()).status).toBe('resolved');
      const closed = await first.query(statusQuery);
      expect(text(closed)).toMatch(
        /runbook: runbook stopped: the incident closed while it was still running/,
      );
      expect(closed.pendingApprovals).toEqual([]);
      const child = await dev.client.workflow.getHandle(`${waiting.incidentId}-runbook`).describe();
      expect(child.status.name).toBe('CANCELLED');
      // Runbooks and their mitigations run on a queue of their own: they never take the slots pages use.
      expect(child.taskQueue).toBe(runbookTaskQueue(dev.taskQueue));

      // P2 (1 h to answer) raised to P1 (4 s) while the proposal waits: it times out by P1's time, once.
      const second = await openIncident('approvals', 'pool-exhausted');
      await proposal(second, 'raise-pool-size');
      await second.executeUpdate(setSeverityUpdate, { args: [{ by: 'erin', severity: 'P1' }] });
      const view = await finished(second, 60_000);
      const log = text(view);
      expect(log).toMatch(/no answer to "raise-pool-size" within 0:04: step skipped, escalating/);
      expect(log).toMatch(
        /runbook pool-exhausted finished: escalated \(cause: pool-exhausted\) — approval for raise-pool-size timed out/,
      );
      expect(
        view.timeline.filter((e) => e.type === 'escalated' && e.message.includes('approval for')),
      ).toHaveLength(1);
      expect((await docker.getContainer(stack.app).inspect()).Config.Env).toContain('DB_POOL_SIZE=5');
    });

    test('generic health failure: logs and resources checked, restart, health verified', async () => {
      const stack = await stackFor('health');
      await injectFault(stack, 'pool-hold');
      const before = await startedAt(stack.app);
      const since = Date.now();
      const view = await finished(await openIncident('health', 'health'));
      const log = text(view);
      expect(log).toMatch(/finding: health: failing/);
      expect(log).toMatch(/finding: memory \d+ MiB of 256 MiB/);
      expect(log).toMatch(/runbook health finished: mitigated/);
      expect(await startedAt(stack.app)).not.toBe(before);
      expect(await restartsSince(stack.app, since - 1000)).toBe(1);
    });

    test('still failing after a restart on a recent image: proposes a rollback and runs it only after approve', async () => {
      const broken = await buildFaultyRelease(docker, 'durable-runbooks/insights-app:broken', 'pool-hold');
      const stack = await stackFor('rollback', { image: broken, previousImage: INSIGHTS_APP_IMAGE });
      await eventually(
        async () => expect((await fetch(stack.healthUrls[1]).catch(() => null))?.status).toBe(503),
        30_000,
        250,
      );
      const handle = await openIncident('rollback', 'health');
      const pending = await proposal(handle, 'rollback-image', 90_000);
      const log = text(pending);
      expect(log).toMatch(
        /image durable-runbooks\/insights-app:broken built .*previous image durable-runbooks\/insights-app:local/,
      );
      expect(log).toMatch(/action: mitigation done: rb-rollback-app restarted/);
      expect(log).toMatch(/finding: health after 0:02 settle: still failing/);
      expect((await docker.getContainer(stack.app).inspect()).Config.Image).toBe(broken); // nothing before approval
      await handle.signal(approveSignal, { by: 'gina', step: 'rollback-image' });
      const view = await finished(handle);
      expect(text(view)).toMatch(/rb-rollback-app recreated with image durable-runbooks\/insights-app:local/);
      expect(text(view)).toMatch(/runbook health finished: mitigated \(cause: recent-deployment\)/);
      const after = await docker.getContainer(stack.app).inspect();
      expect(after.Config.Image).toBe(INSIGHTS_APP_IMAGE);
      expect(after.Config.Env).not.toContain('FAULT=pool-hold');
      expect(after.Config.Env).toContain('DB_POOL_SIZE=5');
      expect((await fetch(stack.healthUrls[1])).status).toBe(200);
    });

    test('the restart budget (3 per hour) stops a fourth restart and escalates', async () => {
      const stack = await stackFor('budget');
      // Three restarts already claimed from the container's ledger this hour, as three incidents would have.
      for (let i = 1; i <= 3; i++)
        await dev.client.workflow.executeUpdateWithStart(claimRestartUpdate, {
          args: [{ claimant: `earlier-incident-${i}/restart`, budget: 3, windowMs: 3_600_000 }],
          startWorkflowOperation: new WithStartWorkflowOperation(restartLedgerWorkflow, {
            workflowId: restartLedgerWorkflowId(stack.app),
            taskQueue: dev.taskQueue,
            workflowIdConflictPolicy: 'USE_EXISTING',
            args: [{}],
          }),
        });
      await injectFault(stack, 'pool-hold');
      const before = await startedAt(stack.app);
      const view = await finished(await openIncident('budget', 'health'));
      expect(text(view)).toMatch(
        /restart budget spent: 3 of 3 restarts of rb-budget-app in the last 1:00:00 \(earlier-incident-1\/restart, earlier-incident-2\/restart, earlier-incident-3\/restart\)/,
      );
      await eventually(async () =>
        expect(
          (await dev.client.workflow.getHandle(view.workflowId).query(statusQuery)).paged.filter(
            (p) => p.level === 1,
          ),
        ).toHaveLength(1),
      );
      expect(await startedAt(stack.app)).toBe(before);
    });

    test('dry-run diagnoses and says what it would do, and changes nothing', async () => {
      const stack = await stackFor('dry-run');
      await injectFault(stack, 'pool-hold');
      const before = await startedAt(stack.app);
      const view = await finished(await openIncident('dry-run', 'health'));
      expect(text(view)).toMatch(/dry-run: nothing will be changed/);
      expect(text(view)).toMatch(/action: dry-run: would restart rb-dry-run-app/);
      expect(text(view)).toMatch(/finished: dry-run/);
      expect(await startedAt(stack.app)).toBe(before);
    });
  },
);
