/**
 * The insights-app as a Deployment on the test control plane, for the Kubernetes drill and its tests:
 * v1 rolled out, then a broken v2 on top (the seed's "recent deployment"), and a health endpoint that
 * fails while v2 runs — kwok's pods run nothing, so the endpoint stands in for the app and reads which
 * image the Deployment runs.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { rolloutComplete } from '../../activities/platform/kubernetes';
import type { KubeApi, KubeObject } from './kubernetes-control-plane';

export const DEMO_DEPLOYMENT = 'insights-app';
export const GOOD_IMAGE = 'insights-app:v1';
export const BROKEN_IMAGE = 'insights-app:v2';

interface Deployment {
  metadata: { generation?: number; annotations?: Record<string, string> };
  spec: {
    replicas?: number;
    template: { spec: { containers: { image?: string; [k: string]: unknown }[] } };
  };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
  };
}

const deploymentPath = (namespace: string, name = DEMO_DEPLOYMENT) =>
  `/apis/apps/v1/namespaces/${namespace}/deployments/${name}`;

export function readDeployment(api: KubeApi, namespace: string, name = DEMO_DEPLOYMENT) {
  return api.ok<Deployment>('GET', deploymentPath(namespace, name));
}

/** kubectl's `rollout status`: resolves when every replica runs the newest template. */
export async function waitForRollout(
  api: KubeApi,
  namespace: string,
  name = DEMO_DEPLOYMENT,
  timeoutMs = 60_000,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const d = await readDeployment(api, namespace, name);
    if (rolloutComplete(d)) return d;
    if (Date.now() > deadline)
      throw new Error(
        `rollout of ${namespace}/${name} not complete after ${timeoutMs / 1000} s: ${JSON.stringify(d.status)}`,
      );
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Creates `obj`, or leaves it as it is when it exists (409). */
export async function ensureObject(api: KubeApi, path: string, obj: KubeObject) {
  const r = await api.request('POST', path, obj);
  if (r.status !== 201 && r.status !== 409)
    throw new Error(`POST ${path}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
}

/** The image the Deployment's first container runs, set like `kubectl set image` (a new revision). */
export async function setImage(api: KubeApi, namespace: string, image: string, name = DEMO_DEPLOYMENT) {
  const d = await readDeployment(api, namespace, name);
  d.spec.template.spec.containers[0].image = image;
  await api.ok('PUT', deploymentPath(namespace, name), d);
  return waitForRollout(api, namespace, name);
}

/** Namespace `namespace` with insights-app at revision 1 (v1), then revision 2 (v2, broken), rolled out. */
export async function deployInsightsOnKubernetes(api: KubeApi, namespace: string) {
  await ensureObject(api, '/api/v1/namespaces', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: namespace },
  });
  const labels = { app: DEMO_DEPLOYMENT };
  await api.ok('POST', `/apis/apps/v1/namespaces/${namespace}/deployments`, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: DEMO_DEPLOYMENT, namespace, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          containers: [
            {
              name: 'app',
              image: GOOD_IMAGE,
              env: [{ name: 'DB_POOL_SIZE', value: '5' }],
              resources: { limits: { memory: '256Mi' } },
            },
          ],
        },
      },
    },
  });
  await waitForRollout(api, namespace);
  return setImage(api, namespace, BROKEN_IMAGE);
}

/**
 * `/health/ready` on 127.0.0.1 that answers 503 while the Deployment's template runs the broken image and
 * 200 otherwise (whether the rollout completed is the runbook's own check).
 */
export async function startDemoHealth(api: KubeApi, namespace: string) {
  const server = http.createServer((req, res) => {
    if (req.url !== '/health/ready') return void res.writeHead(404).end();
    readDeployment(api, namespace).then(
      (d) => {
        const image = d.spec.template.spec.containers[0].image;
        const healthy = image !== BROKEN_IMAGE;
        res
          .writeHead(healthy ? 200 : 503, { 'content-type': 'application/json' })
          .end(JSON.stringify({ status: healthy ? 'ok' : 'failing', image }));
      },
      (err: Error) => res.writeHead(503).end(JSON.stringify({ status: 'unknown', error: err.message })),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/health/ready`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
