/**
 * Kubernetes objects as the Deployment activities read them: the target, the annotations kubectl writes,
 * quantities, a ReplicaSet's template and revision, and when a rollout is complete. No API calls.
 */
import type * as K8s from '@kubernetes/client-node';

/** Where a service runs on Kubernetes (from the configuration; never from an activity's arguments). */
export interface KubernetesTarget {
  /** A kubeconfig file; absent: the pod's service account when in a cluster, else $KUBECONFIG or ~/.kube/config. */
  kubeconfig?: string;
  context?: string;
  namespace: string;
  deployment: string;
  /** The container of the pod template that runbooks look at and change; absent: the first. */
  container?: string;
  /** Replicas a `scale` step may ask for at most. */
  maxReplicas: number;
}

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
/** What `kubectl rollout restart` sets on the pod template. */
export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';
export const HASH_LABEL = 'pod-template-hash';

export interface PodsState {
  total: number;
  phases: Record<string, number>;
  ready: number;
  restarts: number;
  /** Waiting reasons of containers (CrashLoopBackOff, ImagePullBackOff…) by count. */
  waiting: Record<string, number>;
  oomKilled: number;
  lastExitCode: number | null;
  pods: string[];
}

/** A quantity such as 256Mi, 1G or 268435456 in bytes (null when absent or not a memory quantity). */
export function parseQuantity(q: string | number | undefined | null): number | null {
  if (q === undefined || q === null) return null;
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T|m)?$/.exec(String(q).trim());
  if (!m) return null;
  const scale: Record<string, number> = {
    Ki: 1024,
    Mi: 1024 ** 2,
    Gi: 1024 ** 3,
    Ti: 1024 ** 4,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    m: 1e-3,
  };
  return Math.round(Number(m[1]) * (m[2] ? scale[m[2]] : 1));
}

/** Deep equality of two JSON values, ignoring key order. */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** A ReplicaSet's pod template as the Deployment would hold it (kubectl's undo drops the hash label). */
export function templateOf(rs: K8s.V1ReplicaSet): K8s.V1PodTemplateSpec {
  const template = structuredClone(rs.spec?.template ?? {});
  if (template.metadata?.labels) delete template.metadata.labels[HASH_LABEL];
  return template;
}

export const revisionOf = (o: { metadata?: K8s.V1ObjectMeta }) => {
  const raw = o.metadata?.annotations?.[REVISION_ANNOTATION];
  return raw && /^\d+$/.test(raw) ? Number(raw) : null;
};
/** The Deployment's `matchLabels` as a label selector (`app=insights-app,tier=web`). */
export const selectorOf = (d: K8s.V1Deployment) =>
  Object.entries(d.spec?.selector?.matchLabels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
/** The Deployment's ReplicaSets (owned by it) out of its namespace's list, newest revision first. */
export const ownedBy = (d: K8s.V1Deployment, list: K8s.V1ReplicaSetList) =>
  list.items
    .filter((rs) => rs.metadata?.ownerReferences?.some((o) => o.uid === d.metadata?.uid))
    .sort((a, b) => (revisionOf(b) ?? 0) - (revisionOf(a) ?? 0));
export const iso = (t: Date | string | undefined) => (t ? new Date(t).toISOString() : null);
export const statusOf = (err: unknown) => (err as { code?: number }).code;

/**
 * kubectl's `rollout status`: the newest generation is observed and every replica updated and available.
 * (Structural, so the tests' plain-HTTPS view of a Deployment uses the same rule.)
 */
export function rolloutComplete(d: {
  metadata?: { generation?: number };
  spec?: { replicas?: number };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
  };
}): boolean {
  const want = d.spec?.replicas ?? 1;
  const s = d.status ?? {};
  return (
    (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) &&
    (s.updatedReplicas ?? 0) === want &&
    (s.replicas ?? 0) === want &&
    (s.availableReplicas ?? 0) === want
  );
}
