/**
 * Game day: `npm run drill -- <won't-start|wont-start|high-memory|pool-exhausted|health|disk-full|performance>
 * [--approve] [--kubernetes]`. Starts the insights-app and its database on the local Docker Engine with the
 * scenario's fault, fires the matching alert at an intake, and follows the incident in the terminal until
 * the runbook has mitigated or escalated. Uses TEMPORAL_ADDRESS or starts the dev server, and DOCKER_SOCKET,
 * /var/run/docker.sock, or (as root) a project-local dockerd.
 *
 * `--kubernetes` (health, performance): the insights-app is a Deployment on a local control plane
 * (scripts/ops/provision.sh kubernetes), v1 then a broken v2 rolled out a moment ago; the runbook finds the
 * recent rollout and proposes `rollout undo`, or proposes scaling to 3.
 */
import path from 'node:path';
import axios from 'axios';
import Docker from 'dockerode';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { rmSync } from 'node:fs';
import { loadConfig, type RunbooksConfig } from '../../config';
import { runbookTarget } from '../../activities/policy';
import { clientConnectionOptions, temporalTarget } from '../../config/temporal-client';
import { buildIntakeServer } from '../../intake/server';
import { approveSignal, statusQuery } from '../../domain/messages';
import { restartLedgerWorkflowId } from '../../domain/restart-claims';
import { createIncidentWorker, quietRuntime, REPO_ROOT } from '../../workers/worker';
import type { Scenario } from '../../domain/types';
import { deployInsightsStack, fillLogDirectory, injectFault } from './insights-stack';
import { startControlPlane } from './kubernetes-control-plane';
import {
  BROKEN_IMAGE,
  DEMO_DEPLOYMENT,
  GOOD_IMAGE,
  deployInsightsOnKubernetes,
  startDemoHealth,
} from './kubernetes-demo';
import { ensureTemporal, startDockerd, type RunningService } from './local-services';
import { registerSearchAttributes } from '../ops/temporal-server';
import { openStore, storeLocation, type SqlClient } from '../../store';

const SCENARIOS: Record<string, { scenario: Scenario; alertname: string; summary: string }> = {
  'wont-start': {
    scenario: 'wont-start',
    alertname: 'InsightsAppDown',
    summary: 'insights-app is down and does not come back',
  },
  "won't-start": {
    scenario: 'wont-start',
    alertname: 'InsightsAppDown',
    summary: 'insights-app is down and does not come back',
  },
  'high-memory': {
    scenario: 'high-memory',
    alertname: 'HighMemoryUsage',
    summary: 'insights-app memory above 80% of its limit',
  },
  'pool-exhausted': {
    scenario: 'pool-exhausted',
    alertname: 'DatabasePoolExhausted',
    summary: 'ConnectionPool exhausted errors on insights-app',
  },
  health: {
    scenario: 'health',
    alertname: 'HealthCheckFailing',
    summary: 'insights-app /health/ready failing',
  },
  // The seed's "For Performance Issues": scale out (runbooks/performance.yaml).
  performance: {
    scenario: 'performance',
    alertname: 'HighResponseTime',
    summary: 'insights-app p95 response time above 2 s',
  },
  // Written only as a file (runbooks/disk-full.yaml): routed by its alertnames, run by the interpreter.
  'disk-full': {
    scenario: 'disk-full',
    alertname: 'DiskFull',
    summary: 'insights-app log volume above 90%',
  },
};
const LOG_DIR_MIB = 16;
const TASK_QUEUE = 'incident-drills';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function dockerEngine(started: Stoppable[]): Promise<{ docker: Docker; socket: string }> {
  for (const socket of [process.env.DOCKER_SOCKET, '/var/run/docker.sock'].filter(Boolean) as string[]) {
    const docker = new Docker({ socketPath: socket });
    if (
      await docker.ping().then(
        () => true,
        () => false,
      )
    )
      return { docker, socket };
  }
  console.log('[drill] no Docker Engine answering: starting a project-local dockerd (.data/drill/docker)');
  const engine = await startDockerd(path.join(REPO_ROOT, '.data', 'drill', 'docker'));
  started.push(engine);
  return { docker: new Docker({ socketPath: engine.socket }), socket: engine.socket };
}

/** What the drill started, stopped in reverse order when it ends. */
type Stoppable = Pick<RunningService, 'stop'>;

const KUBERNETES_SCENARIOS = new Set<Scenario>(['health', 'performance']);

/** The insights-app and its database as containers, with the scenario's fault; the worker's environment. */
async function onDockerEngine(
  config: RunbooksConfig,
  scenario: Scenario,
  started: Stoppable[],
): Promise<Record<string, string>> {
  const service = config.services['insights-app'];
  if (!service.container || !service.databaseContainer || !service.databaseUrlEnv)
    throw new Error(
      'config: services.insights-app needs container, databaseContainer and databaseUrlEnv for drills',
    );
  const { docker, socket } = await dockerEngine(started);
  console.log(`[drill] deploying insights-app + insights-db (fault: ${scenario})...`);
  const stack = await deployInsightsStack(docker, {
    prefix: 'insights',
    memoryMiB: scenario === 'high-memory' ? 160 : 256,
    leakMiBPerSecond: 6,
    logDirMiB: LOG_DIR_MIB,
  });
  if (stack.app !== service.container || stack.db !== service.databaseContainer)
    console.warn(
      `[drill] note: the config names ${service.container}/${service.databaseContainer}; the drill deployed ${stack.app}/${stack.db}`,
    );
  config.services['insights-app'].healthUrls = stack.healthUrls;

  // Inject the fault.
  if (scenario === 'wont-start') {
    await docker.getContainer(stack.db).stop({ t: 1 });
    await docker.getContainer(stack.app).restart({ t: 1 });
    while ((await docker.getContainer(stack.app).inspect()).State.Running) await sleep(300);
  } else if (scenario === 'high-memory') {
    await injectFault(stack, 'memory-leak');
    for (;;) {
      const s = (await docker.getContainer(stack.app).stats({ stream: false })) as {
        memory_stats: { usage: number; limit: number };
      };
      const pct = (s.memory_stats.usage / s.memory_stats.limit) * 100;
      process.stdout.write(`\r[drill] memory at ${pct.toFixed(0)}% of the limit...   `);
      if (pct >= config.runbooks.memoryThresholdPercent) break;
      await sleep(500);
    }
    process.stdout.write('\n');
  } else if (scenario === 'disk-full') {
    await fillLogDirectory(docker, stack, LOG_DIR_MIB);
  } else {
    await injectFault(stack, 'pool-hold');
  }

  return { DOCKER_SOCKET: socket, [service.databaseUrlEnv]: stack.databaseUrl };
}

/**
 * The insights-app as a Deployment on a local control plane: v1, then a broken v2 rolled out a moment ago,
 * and its health endpoint. The service's target becomes that Deployment.
 */
async function onKubernetesCluster(
  config: RunbooksConfig,
  started: Stoppable[],
): Promise<Record<string, string>> {
  const stateDir = path.join(REPO_ROOT, '.data', 'drill', 'kubernetes');
  rmSync(path.join(stateDir, 'etcd'), { recursive: true, force: true });
  console.log(
    '[drill] starting a Kubernetes control plane (etcd, kube-apiserver, controller manager, scheduler, kwok)...',
  );
  const plane = await startControlPlane(stateDir, { log: (line) => console.log(`[drill] ${line}`) });
  started.push(plane);
  console.log(
    `[drill] deploying ${DEMO_DEPLOYMENT} ${GOOD_IMAGE}, then ${BROKEN_IMAGE} (the recent deployment)...`,
  );
  await deployInsightsOnKubernetes(plane.api, 'insights');
  const health = await startDemoHealth(plane.api, 'insights');
  started.push({ stop: health.close });
  const { container: _container, databaseContainer: _db, ...rest } = config.services['insights-app'];
  config.services['insights-app'] = {
    ...rest,
    kubernetes: {
      kubeconfig: plane.kubeconfig,
      namespace: 'insights',
      deployment: DEMO_DEPLOYMENT,
      maxReplicas: 5,
    },
    healthUrls: [health.url],
  };
  console.log(
    `[drill] kubectl --kubeconfig ${plane.kubeconfig} -n insights get deployments,replicasets,pods`,
  );
  return {};
}

async function main() {
  const [name, ...flags] = process.argv.slice(2);
  const drill = SCENARIOS[name ?? ''];
  if (!drill) {
    console.error(
      `usage: npm run drill -- <${Object.keys(SCENARIOS)
        .filter((k) => !k.includes("'"))
        .join('|')}> [--approve] [--kubernetes]`,
    );
    process.exit(2);
  }
  const autoApprove = flags.includes('--approve');
  const onKubernetes = flags.includes('--kubernetes');
  if (onKubernetes && !KUBERNETES_SCENARIOS.has(drill.scenario)) {
    console.error(`--kubernetes drills: ${[...KUBERNETES_SCENARIOS].join(', ')}`);
    process.exit(2);
  }
  const config = loadConfig();
  quietRuntime();
  if (!Object.hasOwn(config.services, 'insights-app'))
    throw new Error('config: the drills need services.insights-app');
  // Drills should finish in minutes: shorter settle and recurrence watch than production defaults.
  config.resolution.settleAfterMitigation = 10_000;
  config.runbooks.recurrenceWindow = 60_000;
  config.runbooks.sampleEvery = 5_000;
  config.runbooks.stopTimeout = 3_000;

  const started: Stoppable[] = [];
  const cleanup = async () => {
    for (const s of started.reverse()) await s.stop().catch(() => undefined);
  };
  process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));
  try {
    const temporal = temporalTarget();
    const { address, uiUrl, devServer } = await ensureTemporal(
      temporal.connection.address,
      path.join(REPO_ROOT, '.data'),
      (line) => console.log(`[drill] ${line}`),
      clientConnectionOptions(temporal),
    );
    if (devServer) started.push(devServer);
    const workerEnv = onKubernetes
      ? await onKubernetesCluster(config, started)
      : await onDockerEngine(config, drill.scenario, started);

    const admin = await Connection.connect({ ...clientConnectionOptions(temporal), address });
    await registerSearchAttributes(admin);
    const client = new Client({ connection: admin });
    // A drill deploys a new workload: restarts claimed by earlier drills on the old one do not count.
    const target = runbookTarget(config.services['insights-app']).container;
    await client.workflow
      .getHandle(restartLedgerWorkflowId(target))
      .terminate('the drill deployed a new workload')
      .catch(() => undefined);
    const native = await NativeConnection.connect({ ...temporal.connection, address });
    const store = await drillStore();
    const worker = await createIncidentWorker({
      connection: native,
      config,
      taskQueue: TASK_QUEUE,
      env: { ...process.env, ...workerEnv },
      store,
    });
    const running = worker.run();
    const intake = await buildIntakeServer({ client, config, taskQueue: TASK_QUEUE });
    await intake.listen({ host: '127.0.0.1', port: 0 });
    const intakeUrl = `http://127.0.0.1:${(intake.server.address() as { port: number }).port}`;

    const groupKey = `drill-${drill.scenario}-${Date.now()}`;
    const labels = { alertname: drill.alertname, service: 'insights-app', severity: 'critical' };
    const res = await axios.post(`${intakeUrl}/alerts/alertmanager`, {
      version: '4',
      groupKey,
      status: 'firing',
      receiver: 'drill',
      commonLabels: labels,
      alerts: [
        {
          status: 'firing',
          labels,
          annotations: { summary: drill.summary },
          startsAt: new Date().toISOString(),
          fingerprint: groupKey,
        },
      ],
    });
    const { workflowId } = res.data.incidents[0];
    console.log(
      `[drill] alert fired → incident ${workflowId}\n[drill] follow it in the UI: ${uiUrl}/namespaces/default/workflows/${workflowId}\n`,
    );

    const handle = client.workflow.getHandle(workflowId);
    let shown = 0;
    const approved = new Set<string>();
    for (;;) {
      const view = await handle.query(statusQuery);
      for (const e of view.timeline.slice(shown))
        console.log(
          `${e.at.slice(11, 19)}  ${e.type.padEnd(13)} ${e.message}${e.actor ? ` (${e.actor})` : ''}`,
        );
      shown = view.timeline.length;
      for (const p of view.pendingApprovals) {
        if (approved.has(p.step)) continue;
        approved.add(p.step);
        if (autoApprove) await handle.signal(approveSignal, { by: 'drill', step: p.step });
        else
          console.log(
            `\n[drill] waiting for approval: npm run incident -- approve ${workflowId} ${p.step}   (or reject)\n`,
          );
      }
      if (view.timeline.some((e) => e.type === 'runbook')) break;
      await sleep(500);
    }
    console.log(
      `\n[drill] runbook done. Resolve the incident with: npm run incident -- resolve ${workflowId} "drill over"`,
    );
    await intake.close();
    worker.shutdown();
    await running;
    await native.close();
    await admin.close();
    await store?.close();
  } finally {
    await cleanup();
  }
}

/**
 * The incident records itself where the worker runs it: in `DATABASE_URL`, or the embedded store when no
 * `npm start` holds it. When one does, its API process records the drill's incident (it polls the lane).
 */
async function drillStore(): Promise<SqlClient | undefined> {
  try {
    return await openStore(
      storeLocation(process.env, process.env.RUNBOOKS_DATA_DIR || path.join(REPO_ROOT, '.data')),
    );
  } catch (err) {
    console.log(
      `[drill] not holding the store (${err instanceof Error ? err.message : err}); its holder records the incident`,
    );
    return undefined;
  }
}

main().catch((err) => {
  console.error(`[drill] ${err instanceof Error ? err.message : err}`);
  process.exit(1);
});
