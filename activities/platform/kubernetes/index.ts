/**
 * A Deployment on Kubernetes, through @kubernetes/client-node: what the seed does with kubectl (recent
 * rollouts, `rollout status`, `rollout undo`, `rollout restart`, `scale`) plus pods, logs and limits.
 *
 * Every change is effectively once: the caller says what it saw (revision, limit, restart stamp), the
 * change is written with the Deployment's `resourceVersion` as precondition (a 409 re-reads and decides
 * again), and a retry that finds the change made reports it instead of making it twice — a worker killed
 * in the middle of an undo never undoes two revisions.
 */
import type { DeploymentState } from '../../contract';
import { kubernetesCluster } from './cluster';
import { deploymentChanges } from './changes';
import type { KubernetesTarget } from './objects';
import { deploymentEnvironment, deploymentReads } from './reads';

export type { DeploymentState };
export {
  parseQuantity,
  rolloutComplete,
  REVISION_ANNOTATION,
  RESTARTED_AT_ANNOTATION,
  type KubernetesTarget,
  type PodsState,
} from './objects';

export function createKubernetesActivities(targetOf: (service: string) => KubernetesTarget) {
  const cluster = kubernetesCluster();
  return { ...deploymentReads(targetOf, cluster), ...deploymentChanges(targetOf, cluster) };
}

/**
 * A service's Deployment environment values, for other activities (the pool-size probe): not an activity
 * itself, so no value is ever an answer recorded in history (`describeDeployment` answers hashes).
 */
export function createKubernetesEnvironment(targetOf: (service: string) => KubernetesTarget) {
  return deploymentEnvironment(targetOf, kubernetesCluster());
}

export type KubernetesActivities = ReturnType<typeof createKubernetesActivities>;
