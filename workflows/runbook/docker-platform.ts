/**
 * Runbook steps on the Docker Engine: containers restarted, recreated (with new environment or the previous
 * image), resized and scaled out, a dependency started, a command run. A restart carries the engine's own
 * clock, which the activity compares with the container's StartedAt (so a retry does not restart twice).
 */
import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { RunbookActivities } from '../../activities/contract';
import { formatElapsed } from '../../domain/policy';
import type { StepDefinition } from '../../domain/runbook-definition';
import { formatBytes } from '../../domain/runbook-policy';
import { act, look, waitFor } from './session';
import type { Platform, PlatformContext } from './platform';

export function dockerPlatform({ input, fill, factorOf, finding }: PlatformContext): Platform {
  const { target, settings } = input;
  const container = target.container;
  return {
    async unusable(step) {
      if (step.kind === 'rollback') {
        const app = await look.inspectContainer({ container });
        if (!app.previousImage || app.previousImage === app.image) return 'no previous image is recorded';
      }
      if (step.kind === 'raise-memory-limit') {
        const app = await look.inspectContainer({ container });
        if (!app.memoryLimitBytes) return `${container} has no memory limit to raise`;
        await finding(
          `memory limit of ${container}: ${formatBytes(app.memoryLimitBytes)} → ${formatBytes(Math.round(app.memoryLimitBytes * factorOf(step)))}`,
        );
      }
      return null;
    },

    async change(step: StepDefinition) {
      const stopTimeoutSeconds = settings.stopTimeoutSeconds;
      switch (step.kind) {
        case 'restart': {
          // The engine's clock, not ours: the activity compares it with the engine's StartedAt.
          const requestedAt = await look.engineTime();
          return act.restartContainer({ container, requestedAt, stopTimeoutSeconds });
        }
        case 'start-dependency': {
          const started = await act.startContainer({ container: target.databaseContainer as string });
          if (target.databaseUrlEnv) {
            const ready = await waitFor.waitForDatabase({
              urlEnv: target.databaseUrlEnv,
              timeoutMs: step.timeoutMs,
            });
            await finding(`database ready: ${ready.detail}`);
          }
          return started;
        }
        case 'recreate':
          // Values may read facts and settings (DB_POOL_SIZE: "{{settings.targetPoolSize}}").
          return act.recreateContainer({ container, env: fill(step.env), stopTimeoutSeconds });
        case 'raise-memory-limit': {
          const app = await look.inspectContainer({ container });
          const limitBytes = Math.round(app.memoryLimitBytes * factorOf(step));
          return act.raiseMemoryLimit({ container, limitBytes });
        }
        case 'rollback': {
          const app = await look.inspectContainer({ container });
          return act.recreateContainer({ container, image: app.previousImage as string, stopTimeoutSeconds });
        }
        case 'scale':
          return act.scaleOut({ container, replicas: step.replicas });
        case 'exec':
          return exec(step);
        case 'escalate':
        case 'watch':
          throw ApplicationFailure.nonRetryable(`${step.kind} is not a change`, 'NotAChange');
      }
    },

    /** A raised limit survives recreates (the engine keeps it); a redeploy from the compose file would not. */
    async suggestKeepingLimit() {
      const app = await look.inspectContainer({ container });
      const mib = Math.round(app.memoryLimitBytes / 1048576);
      await finding(
        `to keep the ${mib} MiB limit across a redeploy, change the compose file (suggested patch):`,
        ['services:', `  ${container}:`, `    mem_limit: ${mib}m`],
      );
    },
  };

  async function exec(step: Extract<StepDefinition, { kind: 'exec' }>) {
    // Not retried: a definition's command need not be idempotent, and a second run could do harm.
    const once = proxyActivities<RunbookActivities>({
      startToCloseTimeout: step.timeoutMs + 30_000,
      heartbeatTimeout: '10s',
      retry: { maximumAttempts: 1 },
    });
    const r = await once.runInContainer({ container, command: step.command, timeoutMs: step.timeoutMs });
    const tail = r.lines.slice(-3).join(' | ');
    if (r.noShell || r.timedOut || r.exitCode !== 0)
      throw ApplicationFailure.nonRetryable(
        r.noShell
          ? `the image of ${container} has no shell`
          : r.timedOut
            ? `timed out after ${formatElapsed(step.timeoutMs)}`
            : `exit code ${r.exitCode}${tail ? `: ${tail}` : ''}`,
        'StepFailed',
      );
    return { action: 'exec', detail: `${step.id}: exit code 0${tail ? ` (${tail})` : ''}` };
  }
}
