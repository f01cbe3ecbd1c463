/**
 * A Deployment on Kubernetes, through @kubernetes/client-node: what the seed does with kubectl (recent
 * rollouts, `rollout status`, `rollout undo`, `rollout restart`, `scale`) plus pods, logs and limits.
 *
 * Every change is effectively once: the caller says what it saw (revision, limit, restart stamp), the
 * change is written with the Deployment's `resourceVersion` as precondition (a 409 re-reads and decides
 * again), and a retry that finds the change made reports it instead of making it twice — a worker killed
 * in the middle of an undo never undoes two revisions.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationFailure } from '@temporalio/activity';
import type * as K8s from '@kubernetes/client-node';
import { heartbeatWhile } from './heartbeat';
import type { MitigationResult } from './docker';
import type { DeploymentState } from './contract';

export type { DeploymentState };

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
const HASH_LABEL = 'pod-template-hash';

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
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** A ReplicaSet's pod template as the Deployment would hold it (kubectl's undo drops the hash label). */
function templateOf(rs: K8s.V1ReplicaSet): K8s.V1PodTemplateSpec {
  const template = structuredClone(rs.spec?.template ?? {});
  if (template.metadata?.labels) delete template.metadata.labels[HASH_LABEL];
  return template;
}

const revisionOf = (o: { metadata?: K8s.V1ObjectMeta }) => {
  const raw = o.metadata?.annotations?.[REVISION_ANNOTATION];
  return raw && /^\d+$/.test(raw) ? Number(raw) : null;
};
/** The Deployment's `matchLabels` as a label selector (`app=insights-app,tier=web`). */
const selectorOf = (d: K8s.V1Deployment) =>
  Object.entries(d.spec?.selector?.matchLabels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
/** The Deployment's ReplicaSets (owned by it) out of its namespace's list, newest revision first. */
const ownedBy = (d: K8s.V1Deployment, list: K8s.V1ReplicaSetList) =>
  list.items
    .filter((rs) => rs.metadata?.ownerReferences?.some((o) => o.uid === d.metadata?.uid))
    .sort((a, b) => (revisionOf(b) ?? 0) - (revisionOf(a) ?? 0));
const iso = (t: Date | string | undefined) => (t ? new Date(t).toISOString() : null);
const statusOf = (err: unknown) => (err as { code?: number }).code;

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

/** The client library is an ES module: loaded on first use (CommonJS `require` of ESM, Node ≥ 20.19). */
let library: Promise<typeof K8s> | undefined;
const load = () => (library ??= import('@kubernetes/client-node'));

export function createKubernetesActivities(targetOf: (service: string) => KubernetesTarget) {
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

  async function describeDeployment({ service }: { service: string }): Promise<DeploymentState> {
    const t = targetOf(service);
    const name = `${t.namespace}/${t.deployment}`;
    const { apps } = await clientsFor(t);
    // Two lists for the whole namespace, not one per Deployment; the target is one of them.
    const [all, sets] = await Promise.all([
      apps.listNamespacedDeployment({ namespace: t.namespace }),
      apps.listNamespacedReplicaSet({ namespace: t.namespace }),
    ]);
    const d = all.items.find((other) => other.metadata?.name === t.deployment) ?? null;
    const recentChanges = all.items.map((other) => {
      const owned = ownedBy(other, sets);
      const current = owned.find((rs) => revisionOf(rs) === revisionOf(other));
      return {
        name: other.metadata?.name ?? '?',
        createdAt: iso(other.metadata?.creationTimestamp),
        rolloutAt: iso(current?.metadata?.creationTimestamp),
        image: other.spec?.template?.spec?.containers?.[0]?.image ?? null,
      };
    });
    recentChanges.sort((a, b) =>
      (b.rolloutAt ?? b.createdAt ?? '').localeCompare(a.rolloutAt ?? a.createdAt ?? ''),
    );
    if (!d)
      return {
        exists: false,
        name,
        revision: null,
        container: null,
        image: null,
        rolloutAt: null,
        previousRevision: null,
        previousReplicaSet: null,
        previousImage: null,
        replicas: 0,
        readyReplicas: 0,
        availableReplicas: 0,
        updatedReplicas: 0,
        complete: false,
        memoryLimitBytes: null,
        env: {},
        recentChanges,
      };
    const revision = revisionOf(d);
    const container = containerOf(t, d.spec?.template);
    const imageIn = (rs: K8s.V1ReplicaSet) =>
      (rs.spec?.template?.spec?.containers ?? []).find((c) => c.name === container.name)?.image ?? null;
    // Older revisions, newest first. A restart or an environment change makes a revision with the same
    // image: the image was rolled out with the oldest of the newest run of them, and "previous" is the
    // newest revision that ran another image (what a rollback is for; kubectl's undo would take the last).
    const older = ownedBy(d, sets).filter((rs) => (revisionOf(rs) ?? 0) <= (revision ?? 0));
    const firstOther = older.findIndex((rs) => imageIn(rs) !== container.image);
    const sameImage = firstOther === -1 ? older : older.slice(0, firstOther);
    const current = sameImage[sameImage.length - 1];
    const previous = firstOther === -1 ? undefined : older[firstOther];
    return {
      exists: true,
      name,
      revision,
      container: container.name,
      image: container.image ?? null,
      rolloutAt: iso(current?.metadata?.creationTimestamp),
      previousRevision: previous ? revisionOf(previous) : null,
      previousReplicaSet: previous?.metadata?.name ?? null,
      previousImage: previous ? imageIn(previous) : null,
      replicas: d.spec?.replicas ?? 1,
      readyReplicas: d.status?.readyReplicas ?? 0,
      availableReplicas: d.status?.availableReplicas ?? 0,
      updatedReplicas: d.status?.updatedReplicas ?? 0,
      complete: rolloutComplete(d),
      memoryLimitBytes: parseQuantity(container.resources?.limits?.memory),
      env: Object.fromEntries(
        (container.env ?? []).flatMap((e) => (e.value === undefined ? [] : [[e.name, e.value]])),
      ),
      recentChanges,
    };
  }

  async function podStates({ service }: { service: string }): Promise<PodsState> {
    const t = targetOf(service);
    const d = await mustRead(t);
    const pods = await podsOf(t, d);
    const state: PodsState = {
      total: pods.items.length,
      phases: {},
      ready: 0,
      restarts: 0,
      waiting: {},
      oomKilled: 0,
      lastExitCode: null,
      pods: [],
    };
    for (const pod of pods.items) {
      const phase = pod.status?.phase ?? 'Unknown';
      state.phases[phase] = (state.phases[phase] ?? 0) + 1;
      if (pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) state.ready++;
      const reasons: string[] = [];
      for (const cs of pod.status?.containerStatuses ?? []) {
        state.restarts += cs.restartCount ?? 0;
        const waiting = cs.state?.waiting?.reason;
        if (waiting) {
          state.waiting[waiting] = (state.waiting[waiting] ?? 0) + 1;
          reasons.push(waiting);
        }
        const last = cs.lastState?.terminated ?? cs.state?.terminated;
        if (last?.reason === 'OOMKilled') state.oomKilled++;
        if (last?.exitCode !== undefined) state.lastExitCode = last.exitCode;
      }
      state.pods.push(`${pod.metadata?.name} ${phase}${reasons.length ? ` (${reasons.join(', ')})` : ''}`);
    }
    return state;
  }

  /** The last `tail` lines of each pod's container (the seed's `docker logs --tail 500`), filtered by `pattern`. */
  async function podLogs({
    service,
    tail,
    pattern,
  }: {
    service: string;
    tail: number;
    pattern: string;
  }): Promise<{ scanned: number; matching: string[] }> {
    const t = targetOf(service);
    const d = await mustRead(t);
    const { core } = await clientsFor(t);
    const container = containerOf(t, d.spec?.template).name;
    const pods = await podsOf(t, d);
    const lines: string[] = [];
    for (const pod of pods.items.slice(0, 5)) {
      const text = await core
        .readNamespacedPodLog({
          name: pod.metadata?.name ?? '',
          namespace: t.namespace,
          container,
          tailLines: tail,
        })
        .catch((err: unknown) => {
          // The API server answered but could not get the log from the node (no kubelet, container not
          // started): asking again in seconds will not change that, and the probe's facts stay unknown.
          const status = statusOf(err);
          if (status !== undefined && status >= 400)
            throw ApplicationFailure.nonRetryable(
              `logs of pod ${pod.metadata?.name}: ${status} ${String((err as { body?: unknown }).body ?? '').slice(0, 200)}`,
              'LogsUnavailable',
            );
          throw err;
        });
      lines.push(...String(text).split('\n').filter(Boolean));
    }
    const re = new RegExp(pattern, 'i');
    return { scanned: lines.length, matching: lines.filter((l) => re.test(l)).slice(-50) };
  }

  /**
   * Reads the Deployment, lets `change` edit it (or answer that nothing is left to do), and replaces it
   * with the read `resourceVersion` as precondition: a 409 means someone else wrote in between, so it
   * reads and decides again.
   */
  async function changeDeployment(
    t: KubernetesTarget,
    change: (d: K8s.V1Deployment) => { done: string } | { write: string },
  ): Promise<{ written: K8s.V1Deployment | null; detail: string }> {
    const { apps } = await clientsFor(t);
    for (let attempt = 1; ; attempt++) {
      const d = await mustRead(t);
      const decision = change(d);
      if ('done' in decision) return { written: null, detail: decision.done };
      try {
        const written = await apps.replaceNamespacedDeployment({
          name: t.deployment,
          namespace: t.namespace,
          body: d,
        });
        return { written, detail: decision.write };
      } catch (err) {
        if (statusOf(err) !== 409 || attempt >= 5) throw err;
      }
    }
  }

  const result = (action: MitigationResult['action'], detail: string): MitigationResult => ({
    action,
    detail,
    startedAt: null,
  });

  /** `kubectl rollout restart`, stamped with the caller's time: a retry that finds its stamp does nothing. */
  async function rolloutRestart({
    service,
    requestedAt,
  }: {
    service: string;
    requestedAt: string;
  }): Promise<MitigationResult> {
    const t = targetOf(service);
    const r = await heartbeatWhile(
      changeDeployment(t, (d) => {
        const template = (d.spec ??= { selector: {}, template: {} }).template;
        const annotations = ((template.metadata ??= {}).annotations ??= {});
        if (annotations[RESTARTED_AT_ANNOTATION] === requestedAt)
          return { done: `${t.namespace}/${t.deployment} was already restarted (rollout ${requestedAt})` };
        annotations[RESTARTED_AT_ANNOTATION] = requestedAt;
        return { write: `rollout restart of ${t.namespace}/${t.deployment}` };
      }),
      'restarting',
    );
    return result('restarted', r.detail);
  }

  /**
   * `kubectl rollout undo` to the ReplicaSet the caller saw as the previous revision, only while the
   * Deployment is still at the revision it saw. A retry finds the template already that ReplicaSet's and
   * stops: the undo happens once, whatever crashed in between.
   */
  async function rolloutUndo({
    service,
    fromRevision,
    toReplicaSet,
  }: {
    service: string;
    fromRevision: number;
    toReplicaSet: string;
  }): Promise<MitigationResult> {
    const t = targetOf(service);
    const { apps } = await clientsFor(t);
    const work = async () => {
      const rs = await apps.readNamespacedReplicaSet({ name: toReplicaSet, namespace: t.namespace });
      const back = templateOf(rs);
      const image = containerOf(t, back).image;
      return changeDeployment(t, (d) => {
        if (!rs.metadata?.ownerReferences?.some((o) => o.uid === d.metadata?.uid))
          throw ApplicationFailure.nonRetryable(
            `replica set ${toReplicaSet} does not belong to ${t.namespace}/${t.deployment}`,
            'NotOwned',
          );
        if (sameJson(d.spec?.template, back))
          return { done: `${t.namespace}/${t.deployment} already runs ${toReplicaSet} (image ${image})` };
        const revision = revisionOf(d);
        if (revision !== fromRevision)
          throw ApplicationFailure.nonRetryable(
            `${t.namespace}/${t.deployment} is at revision ${revision}, not ${fromRevision} as when the runbook looked: not undoing a change it did not see`,
            'DeploymentChanged',
          );
        d.spec!.template = back;
        return {
          write: `rollout undo of ${t.namespace}/${t.deployment}: revision ${fromRevision} → ${toReplicaSet} (image ${image})`,
        };
      });
    };
    const undo = async () => {
      const r = await work();
      if (!r.written) return r.detail;
      // Done when the deployment controller has seen the new template and numbered its revision.
      const generation = r.written.metadata?.generation ?? 0;
      for (;;) {
        const d = await mustRead(t);
        if ((d.status?.observedGeneration ?? 0) >= generation)
          return `${r.detail}, now revision ${revisionOf(d)}`;
        await sleep(250);
      }
    };
    return result('updated', await heartbeatWhile(undo(), 'undoing'));
  }

  /** `kubectl scale`, refused above the target's `maxReplicas`. */
  async function scaleDeployment({
    service,
    replicas,
  }: {
    service: string;
    replicas: number;
  }): Promise<MitigationResult> {
    const t = targetOf(service);
    if (!Number.isInteger(replicas) || replicas < 1 || replicas > t.maxReplicas)
      throw ApplicationFailure.nonRetryable(
        `${replicas} replicas of ${t.namespace}/${t.deployment} is outside 1..${t.maxReplicas} (kubernetes.maxReplicas)`,
        'ScaleRefused',
      );
    const r = await heartbeatWhile(
      changeDeployment(t, (d) => {
        const now = d.spec?.replicas ?? 1;
        if (now === replicas)
          return { done: `${t.namespace}/${t.deployment} already has ${replicas} replicas` };
        d.spec!.replicas = replicas;
        return { write: `scaled ${t.namespace}/${t.deployment} from ${now} to ${replicas} replicas` };
      }),
      'scaling',
    );
    return result('updated', r.detail);
  }

  /** Sets the container's memory limit from `fromBytes` to `toBytes`; another limit found is left alone. */
  async function setMemoryLimit({
    service,
    fromBytes,
    toBytes,
  }: {
    service: string;
    fromBytes: number;
    toBytes: number;
  }): Promise<MitigationResult> {
    const t = targetOf(service);
    const r = await heartbeatWhile(
      changeDeployment(t, (d) => {
        const c = containerOf(t, d.spec?.template);
        const now = parseQuantity(c.resources?.limits?.memory);
        if (now === toBytes)
          return { done: `${c.name} of ${t.namespace}/${t.deployment} already has that limit` };
        if (now !== fromBytes)
          throw ApplicationFailure.nonRetryable(
            `the memory limit of ${c.name} is ${now ?? 'unset'}, not ${fromBytes} as when the runbook looked`,
            'DeploymentChanged',
          );
        // Whole mebibytes read as the manifest would write them (512Mi).
        ((c.resources ??= {}).limits ??= {}).memory =
          toBytes % 1048576 === 0 ? `${toBytes / 1048576}Mi` : String(toBytes);
        return {
          write: `memory limit of ${c.name} in ${t.namespace}/${t.deployment}: ${fromBytes} → ${toBytes} bytes`,
        };
      }),
      'raising the memory limit',
    );
    return result('updated', r.detail);
  }

  /** Sets environment variables of the container (a new rollout); those already set are left as they are. */
  async function setEnvironment({
    service,
    env,
  }: {
    service: string;
    env: Record<string, string>;
  }): Promise<MitigationResult> {
    const t = targetOf(service);
    const r = await heartbeatWhile(
      changeDeployment(t, (d) => {
        const c = containerOf(t, d.spec?.template);
        const vars = (c.env ??= []);
        const changed = Object.entries(env).filter(([k, v]) => vars.find((e) => e.name === k)?.value !== v);
        if (!changed.length) return { done: `${c.name} already has ${Object.keys(env).join(', ')}` };
        for (const [name, value] of changed) {
          const existing = vars.find((e) => e.name === name);
          if (existing) {
            existing.value = value;
            delete existing.valueFrom;
          } else vars.push({ name, value });
        }
        return {
          write: `set ${changed.map(([k, v]) => `${k}=${v}`).join(', ')} on ${t.namespace}/${t.deployment}`,
        };
      }),
      'setting the environment',
    );
    return result('recreated', r.detail);
  }

  /** `kubectl rollout status` with a timeout: whether every replica runs the newest template. */
  async function rolloutStatus({
    service,
    timeoutMs,
  }: {
    service: string;
    timeoutMs: number;
  }): Promise<{ complete: boolean; detail: string }> {
    const t = targetOf(service);
    const deadline = Date.now() + timeoutMs;
    const wait = async () => {
      for (;;) {
        const d = await mustRead(t);
        const s = d.status ?? {};
        const line = `${s.updatedReplicas ?? 0} of ${d.spec?.replicas ?? 1} updated, ${s.availableReplicas ?? 0} available`;
        if (rolloutComplete(d))
          return { complete: true, detail: `rollout of ${t.namespace}/${t.deployment} complete: ${line}` };
        const stuck = s.conditions?.find(
          (c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded',
        );
        if (stuck)
          return {
            complete: false,
            detail: `rollout of ${t.namespace}/${t.deployment} stuck: ${stuck.message ?? line}`,
          };
        if (Date.now() >= deadline)
          return {
            complete: false,
            detail: `rollout of ${t.namespace}/${t.deployment} not complete after ${Math.round(timeoutMs / 1000)} s: ${line}`,
          };
        await sleep(500);
      }
    };
    return heartbeatWhile(wait(), 'waiting for the rollout');
  }

  return {
    describeDeployment,
    podStates,
    podLogs,
    rolloutRestart,
    rolloutUndo,
    scaleDeployment,
    setMemoryLimit,
    setEnvironment,
    rolloutStatus,
  };
}

export type KubernetesActivities = ReturnType<typeof createKubernetesActivities>;
