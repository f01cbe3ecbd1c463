/**
 * Runbooks on a real Kubernetes control plane (kube-apiserver, controller manager and scheduler v1.34,
 * etcd 3.6, kwok's fake node), with the worker as its own process talking to it through
 * @kubernetes/client-node: the seed's recent-deployment rollback and scale-out, a worker SIGKILLed in the
 * middle of an undo, the Deployment's environment values kept out of every activity's answer (history), and
 * the shipped manifests accepted by the API server and rolled out.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import {
  collectionPath,
  startControlPlane,
  type ControlPlane,
  type KubeObject,
} from '../../scripts/testbed/kubernetes-control-plane';
import {
  BROKEN_IMAGE,
  GOOD_IMAGE,
  deployInsightsOnKubernetes,
  ensureObject,
  readDeployment,
  startDemoHealth,
  waitForRollout,
} from '../../scripts/testbed/kubernetes-demo';
import { killGroup } from '../../scripts/testbed/local-services';
import { REPO_ROOT } from '../../scripts/ops/temporal-server';
import { incidentWorkflow } from '../../workflows/incident';
import { approveSignal, statusQuery } from '../../domain/messages';
import { restartLedgerWorkflowId } from '../../domain/restart-claims';
import type { IncidentStatusView } from '../../domain/types';
import { writeTestConfig } from '../../scripts/testbed/config';
import { eventually } from '../../scripts/testbed/eventually';
import { describeWith, serviceValue } from '../../scripts/testbed/services';
import { tempDir, uniqueTaskQueue } from '../../scripts/testbed/temporal';
import { spawnWorkerProcess } from '../support/worker-process';

const text = (v: IncidentStatusView) => v.timeline.map((e) => `${e.type}: ${e.message}`).join('\n');

/** The parts of a Deployment's pod template these tests read. */
interface PodTemplated {
  spec: {
    template: {
      spec: {
        containers: Array<{
          env: Array<{ name: string; valueFrom?: { secretKeyRef?: unknown } }>;
          envFrom?: unknown[];
          readinessProbe?: { exec: { command: string[] } };
        }>;
      };
    };
  };
}

describeWith(['temporal', 'kubernetes'], 'runbooks on Kubernetes', () => {
  let plane: ControlPlane;
  let connection: Connection;
  let client: Client;
  const workers: ChildProcess[] = [];
  const closers: (() => Promise<void>)[] = [];
  const handles: WorkflowHandle[] = [];

  beforeAll(async () => {
    const started = Date.now();
    plane = await startControlPlane(tempDir('k8s-'));
    console.log(`[kubernetes] control plane ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    connection = await Connection.connect({ address: serviceValue('temporal') });
    client = new Client({ connection });
  }, 120_000);

  afterAll(async () => {
    for (const h of handles) await h.terminate('suite finished').catch(() => undefined);
    for (const w of workers) await killGroup(w, 1000);
    for (const close of closers) await close();
    await connection?.close();
    await plane?.stop();
  });

  /** A namespace with insights-app v1 → v2, its health endpoint, and a worker configured for it. */
  async function setUp(namespace: string, patch: Record<string, unknown> = {}) {
    await deployInsightsOnKubernetes(plane.api, namespace);
    const health = await startDemoHealth(plane.api, namespace);
    closers.push(health.close);
    const dir = tempDir(`k8s-${namespace}-`);
    const configFile = writeTestConfig(dir, {
      services: {
        [`${namespace}-app`]: {
          kubernetes: {
            kubeconfig: plane.kubeconfig,
            namespace,
            deployment: 'insights-app',
            maxReplicas: 3,
          },
          healthUrls: [health.url],
        },
      },
      resolution: { settleAfterMitigation: '1s' },
      journal: { file: path.join(dir, 'notifications.jsonl') },
      ...patch,
    });
    const taskQueue = uniqueTaskQueue(`k8s-${namespace}`);
    // A ledger left by an earlier run lives on that run's task queue, which no worker polls.
    await client.workflow
      .getHandle(restartLedgerWorkflowId(`${namespace}/insights-app`))
      .terminate('earlier test run')
      .catch(() => undefined);
    const startWorker = () => {
      const child = spawnWorkerProcess(
        taskQueue,
        { RUNBOOKS_CONFIG: configFile },
        path.join(dir, `worker-${workers.length}.log`),
      );
      workers.push(child);
      return child;
    };
    let seq = 0;
    const openIncident = async (scenario: string) => {
      seq += 1;
      const handle = await client.workflow.start(incidentWorkflow, {
        taskQueue,
        workflowId: `k8s-${namespace}-${scenario}-${Date.now()}`,
        args: [
          {
            dedupKey: `k8s-${namespace}-${seq}`,
            service: `${namespace}-app`,
            scenario,
            severity: 'P2',
            summary: `${scenario} on ${namespace}/insights-app`,
            security: false,
          },
        ],
      });
      handles.push(handle);
      return handle;
    };
    return { startWorker, openIncident };
  }

  const proposed = (handle: WorkflowHandle, step: string) =>
    eventually(
      async () => {
        const v = await handle.query(statusQuery);
        // A failure shows where the runbook is.
        if (v.pendingApprovals.map((p) => p.step).join() !== step)
          throw new Error(`no proposal of ${step} yet:\n${text(v)}`);
        return v;
      },
      120_000,
      250,
    );
  const finished = (handle: WorkflowHandle) =>
    eventually(
      async () => {
        const v = await handle.query(statusQuery);
        expect(text(v)).toMatch(/runbook [\w-]+ finished/);
        return v;
      },
      120_000,
      250,
    );

  /** The Deployment's ReplicaSets: revision → image. */
  async function revisions(namespace: string) {
    const list = await plane.api.ok<{
      items: {
        metadata: { annotations?: Record<string, string> };
        spec: { template: { spec: { containers: { image: string }[] } } };
      }[];
    }>('GET', `/apis/apps/v1/namespaces/${namespace}/replicasets`);
    return new Map(
      list.items.map((rs) => [
        Number(rs.metadata.annotations?.['deployment.kubernetes.io/revision']),
        rs.spec.template.spec.containers[0].image,
      ]),
    );
  }

  test('drill: a recent rollout is found, undone on approval and verified; then scaled to 3', async () => {
    const { startWorker, openIncident } = await setUp('drill');
    startWorker();
    const handle = await openIncident('health');
    const pending = await proposed(handle, 'rollback-image');
    const before = text(pending);
    expect(before).toMatch(
      /deployment drill\/insights-app: revision 2, image insights-app:v2, rolled out 0 h ago; previous revision 1 \(insights-app:v1\)/,
    );
    expect(before).toMatch(/diagnosis \(rule 2\): recent-deployment/);
    // The restart came first (the seed's order) and did not help: health still fails on v2.
    expect(before).toMatch(/rollout restart of drill\/insights-app; rollout of drill\/insights-app complete/);
    expect(before).toMatch(/health after 0:01 settle: still failing/);
    expect(pending.pendingApprovals[0].proposal).toMatch(
      /roll drill\/insights-app back to the previous image insights-app:v1/,
    );
    expect((await readDeployment(plane.api, 'drill')).spec.template.spec.containers[0].image).toBe(
      BROKEN_IMAGE,
    );

    await handle.signal(approveSignal, { step: 'rollback-image', by: 'erin' });
    const view = await finished(handle);
    const log = text(view);
    expect(log).toMatch(
      /rollout undo of drill\/insights-app: revision 3 → insights-app-\w+ \(image insights-app:v1\), now revision 4/,
    );
    expect(log).toMatch(/runbook health finished: mitigated \(cause: recent-deployment\)/);
    const after = await waitForRollout(plane.api, 'drill');
    expect(after.spec.template.spec.containers[0].image).toBe(GOOD_IMAGE);
    expect(after.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('4');

    // Performance: scale-out to 3 on approval (the seed's `kubectl scale … --replicas=3`).
    const slow = await openIncident('performance');
    await proposed(slow, 'scale-out');
    await slow.signal(approveSignal, { step: 'scale-out', by: 'erin' });
    const scaled = text(await finished(slow));
    expect(scaled).toMatch(
      /scaled drill\/insights-app from 1 to 3 replicas; rollout of drill\/insights-app complete: 3 of 3 updated, 3 available/,
    );
    expect(scaled).toMatch(/runbook performance finished: mitigated/);
    const d = await readDeployment(plane.api, 'drill');
    expect(d.spec.replicas).toBe(3);
    expect(d.status?.availableReplicas).toBe(3);
  });

  test('a worker SIGKILLed in the middle of an undo: the retry finds it done and never undoes twice', async () => {
    const { startWorker, openIncident } = await setUp('crash');
    const first = startWorker();
    const handle = await openIncident('health');
    await proposed(handle, 'rollback-image');
    // Hold the deployment controller still: the undo's activity then waits, after its write, for the
    // controller to number the new revision — the worker dies with the change made and not reported.
    plane.signal('kube-controller-manager', 'SIGSTOP');
    try {
      await handle.signal(approveSignal, { step: 'rollback-image', by: 'erin' });
      await eventually(
        async () =>
          expect((await readDeployment(plane.api, 'crash')).spec.template.spec.containers[0].image).toBe(
            GOOD_IMAGE,
          ),
        60_000,
        50,
      );
      process.kill(-first.pid!, 'SIGKILL');
    } finally {
      plane.signal('kube-controller-manager', 'SIGCONT');
    }
    startWorker();
    const log = text(await finished(handle));
    expect(log).toMatch(/crash\/insights-app already runs insights-app-\w+ \(image insights-app:v1\)/);
    expect(log).toMatch(/runbook health finished: mitigated \(cause: recent-deployment\)/);
    // v1 (1), v2 (2), the restart (3), one undo (4): a second undo would have made revision 5 (v2 again).
    const after = await waitForRollout(plane.api, 'crash');
    expect(after.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('4');
    expect(after.spec.template.spec.containers[0].image).toBe(GOOD_IMAGE);
    const byRevision = await revisions('crash');
    expect([...byRevision.keys()].sort((a, b) => a - b)).toEqual([2, 3, 4]);
    expect(byRevision.get(4)).toBe(GOOD_IMAGE);
  });

  test('a definition of its own: rollout facts, memory limit raised and environment set, each rolled out', async () => {
    const definition = {
      scenario: 'k8s-tune',
      description: 'raise the limit and the pool size of a recently deployed Deployment',
      alertnames: [],
      probes: { rollout: { kind: 'rollout' }, container: { kind: 'container' } },
      rules: [
        {
          when: {
            all: [
              { fact: 'rollout.revision', eq: 2 },
              { fact: 'rollout.previousImage', eq: GOOD_IMAGE },
              { fact: 'rollout.complete', eq: true },
              { fact: 'rollout.available', eq: 1 },
              { fact: 'rollout.crashLooping', eq: 0 },
              { fact: 'container.running', eq: true },
            ],
          },
          cause: 'tune',
        },
        { cause: 'unexpected' },
      ],
      causes: {
        tune: {
          summary: 'revision {{rollout.revision}} of {{rollout.image}}',
          steps: [
            {
              id: 'more-memory',
              kind: 'raise-memory-limit',
              factor: 2,
              description: 'double the memory limit',
            },
            { id: 'bigger-pool', kind: 'recreate', env: { DB_POOL_SIZE: '20' }, description: 'pool of 20' },
          ],
        },
        unexpected: {
          summary: 'facts not as deployed',
          steps: [{ id: 'stop', kind: 'escalate', description: 'no' }],
        },
      },
    };
    const { startWorker, openIncident } = await setUp('tune', { runbookDefinitions: [definition] });
    startWorker();
    const log = text(await finished(await openIncident('k8s-tune')));
    expect(log).toMatch(/diagnosis \(rule 1\): tune — revision 2 of insights-app:v2/);
    expect(log).toMatch(/memory limit of tune\/insights-app: 256 MiB → 512 MiB/);
    expect(log).toMatch(
      /memory limit of app in tune\/insights-app: 268435456 → 536870912 bytes; rollout of tune\/insights-app complete/,
    );
    expect(log).toMatch(/set DB_POOL_SIZE=20 on tune\/insights-app; rollout of tune\/insights-app complete/);
    expect(log).toMatch(/change the manifest \(suggested patch\)/);
    expect(log).toMatch(/runbook k8s-tune finished: mitigated \(cause: tune\)/);
    const d = (await waitForRollout(plane.api, 'tune')) as unknown as {
      metadata: { annotations: Record<string, string> };
      spec: {
        template: {
          spec: {
            containers: {
              resources: { limits: { memory: string } };
              env: { name: string; value: string }[];
            }[];
          };
        };
      };
    };
    const app = d.spec.template.spec.containers[0];
    expect(app.resources.limits.memory).toBe('512Mi');
    expect(app.env).toEqual([{ name: 'DB_POOL_SIZE', value: '20' }]);
    expect(d.metadata.annotations['deployment.kubernetes.io/revision']).toBe('4');
  });

  test("a Deployment's environment values never reach an activity's answer (history); activities still read them", async () => {
    const namespace = 'secrets';
    await deployInsightsOnKubernetes(plane.api, namespace);
    const password = 'k8s-db-pw-4711';
    const env = { DATABASE_URL: `postgres://app:${password}@db:5432/orders`, DB_POOL_SIZE: '7' };
    // The client library is an ES module that jest cannot load: the activities run in a node process of
    // their own, as in the worker.
    const script = `
      const { createIncidentActivities } = require('./activities');
      const { createKubernetesEnvironment } = require('./activities/platform/kubernetes');
      const { kubernetesTargetOf } = require('./activities/targets');
      const { testConfig } = require('./scripts/testbed/config');
      const config = testConfig({ services: { vault: { kubernetes: JSON.parse(process.env.TARGET) } } });
      const activities = createIncidentActivities({ config, baseDir: process.env.BASE_DIR, env: {} });
      (async () => {
        await activities.setEnvironment({ service: 'vault', env: JSON.parse(process.env.SET_ENV) });
        const answer = await activities.describeDeployment({ service: 'vault' });
        const values = await createKubernetesEnvironment((s) => kubernetesTargetOf(config, s))('vault');
        console.log(JSON.stringify({ answer, values }));
      })().catch((err) => { console.error(err); process.exit(1); });`;
    const run = spawnSync(process.execPath, ['-r', 'tsx/cjs', '-e', script], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: 60_000,
      env: {
        ...process.env,
        TARGET: JSON.stringify({ kubeconfig: plane.kubeconfig, namespace, deployment: 'insights-app' }),
        SET_ENV: JSON.stringify(env),
        BASE_DIR: tempDir('k8s-env-'),
      },
    });
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: expect.any(String) });
    const { answer, values } = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as {
      answer: { env: Record<string, string> };
      values: Record<string, string>;
    };
    const sha = (v: string) => `sha256:${createHash('sha256').update(v).digest('hex').slice(0, 16)}`;
    expect(answer.env).toEqual({ DATABASE_URL: sha(env.DATABASE_URL), DB_POOL_SIZE: sha('7') });
    expect(JSON.stringify(answer)).not.toContain(password);
    // The pool-size probe reads the values inside the activity.
    expect(values).toMatchObject(env);
  });

  test('the manifests in deploy/kubernetes pass server-side dry-run, apply, and roll out', async () => {
    const dir = path.join(REPO_ROOT, 'deploy', 'kubernetes');
    const objects: KubeObject[] = readdirSync(dir)
      .filter((f) => f.endsWith('.yaml'))
      .sort((a, b) => (a === 'namespace.yaml' ? -1 : b === 'namespace.yaml' ? 1 : a.localeCompare(b)))
      .flatMap((f) =>
        parseAllDocuments(readFileSync(path.join(dir, f), 'utf8')).map((d) => d.toJS() as KubeObject),
      );
    expect(objects.map((o) => o.kind)).toEqual(
      expect.arrayContaining([
        'Namespace',
        'Deployment',
        'Service',
        'PodDisruptionBudget',
        'ServiceAccount',
        'NetworkPolicy',
      ]),
    );
    // The intake holds only the secrets it uses: no envFrom of the whole Secret.
    const intake = objects.find(
      (o) => o.metadata.name === 'durable-runbooks-intake' && o.kind === 'Deployment',
    )!;
    const container = (intake as unknown as PodTemplated).spec.template.spec.containers[0];
    expect(container.envFrom).toBeUndefined();
    expect(
      container.env
        .filter((e) => e.valueFrom?.secretKeyRef)
        .map((e) => e.name)
        .sort(),
    ).toEqual(['INTAKE_DATABASE_URL', 'INTAKE_TOKEN', 'PAGERDUTY_WEBHOOK_SECRET', 'SLACK_SIGNING_SECRET']);
    // What docs/deploy.md has the operator create by hand: the RBAC's target namespace, the config, the secret.
    await ensureObject(plane.api, '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'insights' },
    });
    const ns = objects.find((o) => o.kind === 'Namespace') as KubeObject;
    // Dry-run first: nothing may be stored, and every object must be accepted (the namespace is created
    // for real first, as `kubectl apply` would, so namespaced objects have somewhere to go).
    await plane.api.ok('POST', `${collectionPath(ns)}?dryRun=All`, ns);
    expect((await plane.api.request('GET', `/api/v1/namespaces/${ns.metadata.name}`)).status).toBe(404);
    await plane.api.ok('POST', collectionPath(ns), ns);
    for (const obj of objects.filter((o) => o.kind !== 'Namespace'))
      await plane.api.ok('POST', `${collectionPath(obj)}?dryRun=All&fieldValidation=Strict`, obj);
    expect(
      (
        await plane.api.ok<{ items: unknown[] }>(
          'GET',
          `/apis/apps/v1/namespaces/${ns.metadata.name}/deployments`,
        )
      ).items,
    ).toHaveLength(0);

    await plane.api.ok('POST', `/api/v1/namespaces/${ns.metadata.name}/configmaps`, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'durable-runbooks-config', namespace: ns.metadata.name },
      data: {
        'durable-runbooks.json': readFileSync(
          path.join(REPO_ROOT, 'config', 'durable-runbooks.json'),
          'utf8',
        ),
      },
    });
    await plane.api.ok('POST', `/api/v1/namespaces/${ns.metadata.name}/secrets`, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'durable-runbooks-secrets', namespace: ns.metadata.name },
      stringData: {
        INTAKE_TOKEN: 'kubernetes-test-token-0123456789abcdef',
        DATABASE_URL: 'postgres://durable_runbooks:secret@postgresql:5432/durable_runbooks',
      },
    });
    for (const obj of objects.filter((o) => o.kind !== 'Namespace'))
      await plane.api.ok('POST', collectionPath(obj), obj);
    const deployments = objects.filter((o) => o.kind === 'Deployment');
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual([
      'durable-runbooks-api',
      'durable-runbooks-intake',
      'durable-runbooks-worker',
    ]);
    for (const d of deployments) {
      const rolled = await waitForRollout(plane.api, ns.metadata.name, d.metadata.name);
      expect(rolled.status?.availableReplicas).toBe(2);
    }

    // RBAC, as the API server decides it: the worker reads the namespace's Deployments and changes only
    // the one the configuration names; the intake may do nothing.
    const may = async (account: string, verb: string, name?: string) =>
      (
        await plane.api.ok<{ status: { allowed: boolean } }>(
          'POST',
          '/apis/authorization.k8s.io/v1/subjectaccessreviews',
          {
            apiVersion: 'authorization.k8s.io/v1',
            kind: 'SubjectAccessReview',
            spec: {
              user: `system:serviceaccount:${ns.metadata.name}:${account}`,
              groups: ['system:serviceaccounts', `system:serviceaccounts:${ns.metadata.name}`],
              resourceAttributes: {
                namespace: 'insights',
                verb,
                group: 'apps',
                resource: 'deployments',
                name,
              },
            },
          },
        )
      ).status.allowed;
    expect(await may('durable-runbooks-worker', 'list')).toBe(true);
    expect(await may('durable-runbooks-worker', 'update', 'insights-app')).toBe(true);
    expect(await may('durable-runbooks-worker', 'update', 'someone-elses-app')).toBe(false);
    expect(await may('durable-runbooks-worker', 'delete', 'insights-app')).toBe(false);
    expect(await may('durable-runbooks-intake', 'get', 'insights-app')).toBe(false);
  });

  test("the intake's readiness probe fails without a token, even where its port answers", async () => {
    const intake = parseAllDocuments(
      readFileSync(path.join(REPO_ROOT, 'deploy', 'kubernetes', 'intake.yaml'), 'utf8'),
    )[0].toJS() as PodTemplated;
    const [node, flag, script] = intake.spec.template.spec.containers[0].readinessProbe!.exec.command;
    expect([node, flag]).toEqual(['node', '-e']);
    // Something answers 200 on the probe's port (when it is free here): a token-less pod is still not ready.
    const answering = http.createServer((_req, res) => void res.writeHead(200).end('{}'));
    const listening = await new Promise<boolean>((resolve) => {
      answering.once('error', () => resolve(false));
      answering.listen(8088, '127.0.0.1', () => resolve(true));
    });
    // Not spawnSync: this process must stay free to answer the probe's request.
    const probe = (env: Record<string, string>) =>
      new Promise<number | null>((resolve) =>
        spawn(process.execPath, ['-e', script], { env: { PATH: process.env.PATH ?? '', ...env } }).on(
          'close',
          resolve,
        ),
      );
    try {
      expect(await probe({})).toBe(1);
      expect(await probe({ INTAKE_TOKEN: '   ' })).toBe(1);
      if (listening) expect(await probe({ INTAKE_TOKEN: 'kubernetes-test-token-0123456789abcdef' })).toBe(0);
      else
        console.log('[kubernetes] 127.0.0.1:8088 is taken here: the probe was checked without a token only');
    } finally {
      answering.close();
    }
  });
});
