/** Deployment reads: its state and recent rollouts, its pods, their logs, and `rollout status`. */
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationFailure } from '@temporalio/activity';
import type * as K8s from '@kubernetes/client-node';
import type { DeploymentState } from '../../contract';
import { heartbeatWhile } from '../../heartbeat';
import type { KubernetesCluster } from './cluster';
import {
  iso,
  statusOf,
  ownedBy,
  parseQuantity,
  revisionOf,
  rolloutComplete,
  type KubernetesTarget,
  type PodsState,
} from './objects';

/** A container's literal environment values (those from Secrets and ConfigMaps are not in the spec). */
const literalEnv = (c: K8s.V1Container) =>
  Object.fromEntries((c.env ?? []).flatMap((e) => (e.value === undefined ? [] : [[e.name, e.value]])));

/**
 * What an activity's answer may say of a value: a hash to compare by. The answer is recorded in workflow
 * history, and a `DATABASE_URL` with its password must not be (`temporal workflow show` would print it).
 */
const hashed = (env: Record<string, string>) =>
  Object.fromEntries(
    Object.entries(env).map(([k, v]) => [
      k,
      `sha256:${createHash('sha256').update(v).digest('hex').slice(0, 16)}`,
    ]),
  );

/** The environment values of a service's Deployment, for activities only: never an activity's answer. */
export function deploymentEnvironment(
  targetOf: (service: string) => KubernetesTarget,
  { mustRead, containerOf }: KubernetesCluster,
) {
  return async (service: string): Promise<Record<string, string>> => {
    const t = targetOf(service);
    return literalEnv(containerOf(t, (await mustRead(t)).spec?.template));
  };
}

export function deploymentReads(
  targetOf: (service: string) => KubernetesTarget,
  { clientsFor, mustRead, podsOf, containerOf }: KubernetesCluster,
) {
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
      env: hashed(literalEnv(container)),
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

  return { describeDeployment, podStates, podLogs, rolloutStatus };
}
