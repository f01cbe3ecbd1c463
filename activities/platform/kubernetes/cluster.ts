/**
 * The clients of each target's cluster (one per kubeconfig and context, made on first use) and the reads
 * every Deployment activity starts from: the Deployment, its pods, and the container runbooks act on.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type * as K8s from '@kubernetes/client-node';
import { selectorOf, statusOf, type KubernetesTarget } from './objects';

/** The client library is an ES module: loaded on first use (CommonJS `require` of ESM, Node ≥ 20.19). */
let library: Promise<typeof K8s> | undefined;
const load = () => (library ??= import('@kubernetes/client-node'));

export type KubernetesCluster = ReturnType<typeof kubernetesCluster>;

export function kubernetesCluster() {
  const clients = new Map<string, Promise<{ apps: K8s.AppsV1Api; core: K8s.CoreV1Api }>>();
  function clientsFor(t: KubernetesTarget) {
    const key = `${t.kubeconfig ?? ''}\u0000${t.context ?? ''}`;
    let c = clients.get(key);
    if (!c) {
      c = load().then((k8s) => {
        const kc = new k8s.KubeConfig();
        if (t.kubeconfig) kc.loadFromFile(t.kubeconfig);
        else kc.loadFromDefault();
        if (t.context) kc.setCurrentContext(t.context);
        return { apps: kc.makeApiClient(k8s.AppsV1Api), core: kc.makeApiClient(k8s.CoreV1Api) };
      });
      c.catch(() => clients.delete(key));
      clients.set(key, c);
    }
    return c;
  }

  async function readDeployment(t: KubernetesTarget): Promise<K8s.V1Deployment | null> {
    const { apps } = await clientsFor(t);
    try {
      return await apps.readNamespacedDeployment({ name: t.deployment, namespace: t.namespace });
    } catch (err) {
      if (statusOf(err) === 404) return null;
      throw err;
    }
  }

  async function mustRead(t: KubernetesTarget): Promise<K8s.V1Deployment> {
    const d = await readDeployment(t);
    if (!d)
      throw ApplicationFailure.nonRetryable(
        `deployment ${t.namespace}/${t.deployment} does not exist`,
        'DeploymentNotFound',
      );
    return d;
  }

  /** The Deployment's pods: those its selector matches. */
  async function podsOf(t: KubernetesTarget, d: K8s.V1Deployment) {
    const { core } = await clientsFor(t);
    return core.listNamespacedPod({ namespace: t.namespace, labelSelector: selectorOf(d) });
  }

  function containerOf(t: KubernetesTarget, template: K8s.V1PodTemplateSpec | undefined) {
    const containers = template?.spec?.containers ?? [];
    const c = t.container ? containers.find((x) => x.name === t.container) : containers[0];
    if (!c)
      throw ApplicationFailure.nonRetryable(
        `deployment ${t.namespace}/${t.deployment} has no container ${t.container ?? ''}`.trim(),
        'ContainerNotFound',
      );
    return c;
  }

  return { clientsFor, readDeployment, mustRead, podsOf, containerOf };
}
