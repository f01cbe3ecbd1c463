import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import Docker from 'dockerode';
import { Client, Connection } from '@temporalio/client';
import {
  deployInsightsStack,
  injectFault,
  removeInsightsStack,
  type InsightsStack,
} from '../../scripts/testbed/insights-stack';
import { killGroup } from '../../scripts/testbed/local-services';
import { incidentWorkflow } from '../../workflows/incident';
import { statusQuery } from '../../domain/messages';
import { writeTestConfig } from '../../scripts/testbed/config';
import { engineActions } from '../support/docker-events';
import { eventually } from '../../scripts/testbed/eventually';
import { describeWith, serviceValue } from '../../scripts/testbed/services';
import { tempDir, uniqueTaskQueue } from '../../scripts/testbed/temporal';
import { spawnWorkerProcess } from '../support/worker-process';

describeWith(
  ['temporal', 'docker', 'postgres'],
  'a worker killed with SIGKILL in the middle of a restart',
  () => {
    let docker: Docker;
    let stack: InsightsStack;
    let connection: Connection;
    let client: Client;
    const workers: ChildProcess[] = [];

    beforeAll(async () => {
      docker = new Docker({ socketPath: serviceValue('docker') });
      connection = await Connection.connect({ address: serviceValue('temporal') });
      client = new Client({ connection });
      stack = await deployInsightsStack(docker, { prefix: 'crash' });
    });
    afterAll(async () => {
      for (const w of workers) await killGroup(w, 1000);
      await connection?.close();
      if (stack) await removeInsightsStack(docker, stack);
    });

    test('the container is restarted exactly once and the runbook finishes on the new worker', async () => {
      const dir = tempDir('crash-');
      const configFile = writeTestConfig(dir, {
        services: {
          'insights-crash': {
            container: stack.app,
            databaseContainer: stack.db,
            databaseUrlEnv: 'CRASH_DB_URL',
            healthUrls: stack.healthUrls,
          },
        },
        // The app (PID 1, no SIGTERM handler) ignores SIGTERM, so each restart takes the whole stop timeout.
        runbooks: { stopTimeout: '8s' },
        resolution: { settleAfterMitigation: '2s' },
        journal: { file: path.join(dir, 'notifications.jsonl') },
      });
      const taskQueue = uniqueTaskQueue('crash');
      const startWorker = () => {
        const child = spawnWorkerProcess(taskQueue, {
          RUNBOOKS_CONFIG: configFile,
          DOCKER_SOCKET: serviceValue('docker'),
          CRASH_DB_URL: stack.databaseUrl,
        });
        workers.push(child);
        return child;
      };
      const first = startWorker();
      await injectFault(stack, 'pool-hold');
      const since = Date.now();
      const before = (await docker.getContainer(stack.app).inspect()).State.StartedAt;
      const handle = await client.workflow.start(incidentWorkflow, {
        taskQueue,
        workflowId: `crash-${Date.now()}`,
        args: [
          {
            dedupKey: 'crash',
            service: 'insights-crash',
            scenario: 'health',
            severity: 'P2',
            summary: 'crash drill',
            security: false,
          },
        ],
      });
      // Kill the worker once the engine is in the middle of the restart (it has sent the app SIGTERM).
      await eventually(
        async () => expect(await engineActions(docker, stack.app, since, ['kill'])).toContain('kill'),
        60_000,
        100,
      );
      process.kill(-first.pid!, 'SIGKILL');
      expect((await docker.getContainer(stack.app).inspect()).State.StartedAt).toBe(before); // still mid-restart
      startWorker();

      const view = await eventually(
        async () => {
          const v = await handle.query(statusQuery);
          expect(v.timeline.some((e) => e.type === 'runbook')).toBe(true);
          return v;
        },
        120_000,
        500,
      );
      const log = view.timeline.map((e) => `${e.type}: ${e.message}`).join('\n');
      expect(log).toMatch(/runbook health finished: mitigated/);
      expect(log).toMatch(/restart begun by an earlier attempt completed|already restarted/);

      const actions = await engineActions(docker, stack.app, since, ['restart', 'start']);
      expect(actions.filter((a) => a === 'restart')).toHaveLength(1);
      expect(actions.filter((a) => a === 'start')).toHaveLength(1);
      expect((await docker.getContainer(stack.app).inspect()).State.StartedAt).not.toBe(before);
      await handle.terminate();
    });
  },
);
