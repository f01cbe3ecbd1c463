/**
 * Runbook steps on a Kubernetes Deployment: the change (effectively once, see activities/platform/kubernetes/),
 * then `rollout status` until the step's timeout; a rollout that does not complete fails the step. A
 * restart carries the workflow's clock: it is part of history, so a retried activity finds its own stamp.
 */
import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { RunbookActivities } from '../../activities/contract';
import type { StepDefinition } from '../../domain/runbook-definition';
import { formatBytes } from '../../domain/runbook-policy';
import { act, look } from './session';
import type { Platform, PlatformContext } from './platform';

export function kubernetesPlatform({ input, fill, factorOf, finding }: PlatformContext): Platform {
  const { service, target } = input;
  const deployment = target.container;

  const change = async (step: StepDefinition) => {
    switch (step.kind) {
      case 'restart':
        return act.rolloutRestart({ service, requestedAt: new Date().toISOString() });
      case 'recreate':
        return act.setEnvironment({ service, env: fill(step.env) });
      case 'raise-memory-limit': {
        const d = await look.describeDeployment({ service });
        const fromBytes = d.memoryLimitBytes as number;
        return act.setMemoryLimit({ service, fromBytes, toBytes: Math.round(fromBytes * factorOf(step)) });
      }
      case 'rollback': {
        const d = await look.describeDeployment({ service });
        return act.rolloutUndo({
          service,
          fromRevision: d.revision as number,
          toReplicaSet: d.previousReplicaSet as string,
        });
      }
      case 'scale':
        return act.scaleDeployment({ service, replicas: step.replicas });
      default:
        throw ApplicationFailure.nonRetryable(`${step.kind} is not a change to a Deployment`, 'NotAChange');
    }
  };

  return {
    async unusable(step) {
      if (step.kind === 'start-dependency' || step.kind === 'exec')
        return `a ${step.kind} step acts on a container; ${deployment} is a Deployment on Kubernetes`;
      if (step.kind !== 'rollback' && step.kind !== 'raise-memory-limit') return null;
      const d = await look.describeDeployment({ service });
      if (!d.exists) return `deployment ${deployment} does not exist`;
      if (step.kind === 'rollback' && (!d.previousReplicaSet || d.revision === null))
        return 'no previous revision is recorded';
      if (step.kind === 'raise-memory-limit') {
        if (!d.memoryLimitBytes) return `${deployment} has no memory limit to raise`;
        await finding(
          `memory limit of ${deployment}: ${formatBytes(d.memoryLimitBytes)} → ${formatBytes(Math.round(d.memoryLimitBytes * factorOf(step)))}`,
        );
      }
      return null;
    },

    async change(step) {
      const changed = await change(step);
      const status = await proxyActivities<RunbookActivities>({
        startToCloseTimeout: step.timeoutMs + 30_000,
        heartbeatTimeout: '10s',
        retry: { initialInterval: '1s', maximumAttempts: 3 },
      }).rolloutStatus({ service, timeoutMs: step.timeoutMs });
      if (!status.complete) throw ApplicationFailure.nonRetryable(status.detail, 'RolloutIncomplete');
      return { action: changed.action, detail: `${changed.detail}; ${status.detail}` };
    },

    /** `kubectl apply` of the old manifest would put the old limit back. */
    async suggestKeepingLimit() {
      const d = await look.describeDeployment({ service });
      const mib = Math.round((d.memoryLimitBytes ?? 0) / 1048576);
      await finding(
        `to keep the ${mib} MiB limit across the next apply, change the manifest (suggested patch):`,
        [
          'spec:',
          '  template:',
          '    spec:',
          '      containers:',
          `        - name: ${d.container}`,
          `          resources: { limits: { memory: ${mib}Mi } }`,
        ],
      );
    },
  };
}
