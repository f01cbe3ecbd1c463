/**
 * Deployment changes, each effectively once: the caller says what it saw (revision, limit, restart stamp),
 * the change is written with the Deployment's `resourceVersion` as precondition (a 409 re-reads and decides
 * again), and a retry that finds the change made reports it instead of making it twice.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationFailure } from '@temporalio/activity';
import type * as K8s from '@kubernetes/client-node';
import type { MitigationResult } from '../../contract';
import { heartbeatWhile } from '../../heartbeat';
import type { KubernetesCluster } from './cluster';
import {
  RESTARTED_AT_ANNOTATION,
  parseQuantity,
  revisionOf,
  sameJson,
  statusOf,
  templateOf,
  type KubernetesTarget,
} from './objects';

export function deploymentChanges(
  targetOf: (service: string) => KubernetesTarget,
  { clientsFor, mustRead, containerOf }: KubernetesCluster,
) {
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

  return { rolloutRestart, rolloutUndo, scaleDeployment, setMemoryLimit, setEnvironment };
}
