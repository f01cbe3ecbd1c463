/**
 * FROZEN: the runbooks as TypeScript, before they became data (`runbooks/*.yaml`, run by
 * `workflows/runbook/interpreter.ts`).
 *
 * - Pinned by: the incident's policy, not a patch. A policy without a runbook definition starts this
 *   workflow; since every built-in scenario must have its definition (`config/index.ts` refuses a
 *   `runbooks.directory` without one), only runs recorded before that do.
 * - Replayed by: `test/histories/v2-runbook-child.json` and the runbook child of
 *   `test/histories/v2-p1-runbook-relapse-watch-reminder.json` (`test/workflow/replay.test.ts`).
 * - Can go when this shows no run: `temporal workflow list --query "WorkflowType='runbookWorkflow' AND
 *   ExecutionStatus='Running'"`. Then delete this file, `domain/runbook-policy.ts`'s diagnoses that only it
 *   uses, its histories, and the `runbookWorkflow` branch of `workflows/incident/children.ts`.
 *
 * Diagnose (seed step 2) and mitigate (step 3, common scenarios 1–3) through activities, report every
 * finding and action to the incident, gate risky steps on `approve`/`reject`, respect the budget and dry-run.
 * Change nothing here but what keeps its command sequence identical.
 */
import { patched, sleep } from '@temporalio/workflow';
import { formatElapsed } from '../../domain/policy';
import { act, look, openRunbookSession, waitFor } from '../runbook/session';
import {
  LOG_SCAN_PATTERN,
  classifyLogLines,
  formatBytes,
  memoryHigh,
  memoryPercent,
  planWontStart,
  poolExhausted,
  primaryCause,
  proposedPoolSize,
  rollbackCandidate,
  withinRestartBudget,
} from '../../domain/runbook-policy';

export type { RunbookInput, RunbookOutcome, RunbookSettings, RunbookTarget } from '../runbook/session';
import type { RunbookInput, RunbookOutcome } from '../runbook/session';

/** Patch ids: each marks a change of the commands this workflow issues (see docs/development.md, "Changing workflows"). */
export const ROLLBACK_TIMEOUT_ESCALATES_ONCE = 'rollback-timeout-escalates-once';
export const ENGINE_CLOCK_RESTART = 'engine-clock-restart';

export async function runbookWorkflow(input: RunbookInput): Promise<RunbookOutcome> {
  const { target, settings } = input;
  const { report, finding, outcome, escalate, mitigate, verify, askApproval, stillFailing } =
    openRunbookSession(input);
  const restartApp = async (why: string): Promise<'restarted' | 'dry-run' | 'over-budget'> => {
    const recent = await look.countRecentRestarts({
      container: target.container,
      windowMs: settings.restartWindowMs,
    });
    if (!withinRestartBudget(recent, settings.restartBudget)) {
      await report({
        kind: 'escalate',
        message: `restart budget spent: ${target.container} was restarted ${recent} times in the last ${formatElapsed(settings.restartWindowMs)} (budget ${settings.restartBudget}); escalating instead of restarting`,
      });
      return 'over-budget';
    }
    // When the step began, on the engine's clock (older runs: workflow time): the activity skips the restart
    // if the container started after it. Both sides of that comparison are then the engine's own clock.
    const requestedAt = patched(ENGINE_CLOCK_RESTART) ? await look.engineTime() : new Date().toISOString();
    const done = await mitigate(`restart ${target.container} (${why})`, () =>
      act.restartContainer({
        container: target.container,
        requestedAt,
        stopTimeoutSeconds: settings.stopTimeoutSeconds,
      }),
    );
    return done ? 'restarted' : 'dry-run';
  };

  const logScan = async () => {
    const logs = await look.containerLogs({
      container: target.container,
      tail: 500,
      pattern: LOG_SCAN_PATTERN,
    });
    const findings = classifyLogLines(logs.matching);
    const cause = primaryCause(findings);
    await finding(
      `logs: scanned the last ${logs.scanned} lines, ${findings.length} match error patterns${cause ? `; most telling: ${cause.cause}${cause.variable ? ` (${cause.variable})` : ''}` : ''}`,
      findings.slice(-5).map((f) => f.line),
    );
    return { findings, cause };
  };

  const afterRestart = async (
    cause: string,
    restarted: 'restarted' | 'dry-run' | 'over-budget',
    what: string,
  ) => {
    if (restarted === 'over-budget') return outcome('escalated', cause, 'restart budget spent');
    if (restarted === 'dry-run')
      return outcome('dry-run', cause, `dry-run: diagnosed ${cause}; would ${what}`);
    if (await verify()) return outcome('mitigated', cause, `${what}; health verified`);
    return stillFailing(cause, what);
  };

  async function wontStart(): Promise<RunbookOutcome> {
    const app = await look.inspectContainer({ container: target.container });
    await finding(
      app.exists
        ? `container ${target.container}: ${app.status}${app.exitCode !== null ? `, exit code ${app.exitCode}` : ''}, OOMKilled ${app.oomKilled}, restarts ${app.restartCount}`
        : `container ${target.container} does not exist`,
    );
    const { cause } = app.exists ? await logScan() : { cause: null };
    let db = { reachable: true, containerRunning: null as boolean | null };
    if (target.databaseUrlEnv) {
      const check = await look.checkDatabase({ urlEnv: target.databaseUrlEnv });
      const dbContainer = target.databaseContainer
        ? await look.inspectContainer({ container: target.databaseContainer })
        : null;
      db = { reachable: check.reachable, containerRunning: dbContainer ? dbContainer.running : null };
      await finding(
        `database: ${check.detail}${dbContainer ? `; container ${dbContainer.name} ${dbContainer.status}` : ''}`,
      );
    }
    const plan = planWontStart(app, cause, db);
    const causeName = cause?.cause ?? (app.running ? 'recovered' : 'crash');
    await finding(`diagnosis: ${plan.why}`);
    if (plan.kind === 'escalate') return escalate(causeName, `cannot fix automatically: ${plan.why}`);
    if (plan.kind === 'none')
      return (await verify())
        ? outcome('nothing-to-do', causeName, plan.why)
        : escalate(causeName, 'running but unhealthy');
    if (plan.kind === 'start-database-then-restart') {
      const started = await mitigate(`start database container ${target.databaseContainer}`, () =>
        act.startContainer({ container: target.databaseContainer as string }),
      );
      if (started) {
        const ready = await waitFor.waitForDatabase({
          urlEnv: target.databaseUrlEnv as string,
          timeoutMs: 60_000,
        });
        await finding(`database ready: ${ready.detail}`);
      }
      return afterRestart(
        'database-unreachable',
        await restartApp('database is back'),
        `started ${target.databaseContainer} and restarted ${target.container}`,
      );
    }
    return afterRestart(causeName, await restartApp(plan.why), `restarted ${target.container}`);
  }

  async function highMemory(): Promise<RunbookOutcome> {
    const app = await look.inspectContainer({ container: target.container });
    const stats = await look.containerStats({ container: target.container });
    const percent = memoryPercent(stats.usageBytes, stats.limitBytes);
    await finding(
      `memory ${formatBytes(stats.usageBytes)} of ${formatBytes(stats.limitBytes)} (${percent}%, threshold ${settings.memoryThresholdPercent}%); process RSS inside the container ${stats.processRssBytes === null ? 'n/a' : formatBytes(stats.processRssBytes)}; OOMKilled ${app.oomKilled}`,
    );
    if (!memoryHigh(percent, settings.memoryThresholdPercent, app.oomKilled))
      return outcome('nothing-to-do', 'memory-normal', `memory at ${percent}% is under the threshold`);
    const restarted = await restartApp(`memory at ${percent}%`);
    if (restarted !== 'restarted')
      return afterRestart('high-memory', restarted, `restart ${target.container} to free memory`);
    if (!(await verify())) return stillFailing('high-memory', 'the memory restart');
    // Does it come back? Sample until the recurrence window closes.
    const windowEnds = Date.now() + settings.recurrenceWindowMs;
    let recurred: number | null = null;
    while (Date.now() < windowEnds && recurred === null) {
      await sleep(Math.min(settings.sampleEveryMs, Math.max(1, windowEnds - Date.now())));
      const s = await look.containerStats({ container: target.container });
      const p = memoryPercent(s.usageBytes, s.limitBytes);
      if (memoryHigh(p, settings.memoryThresholdPercent, false)) recurred = p;
    }
    if (recurred === null) {
      await finding(
        `memory stayed under ${settings.memoryThresholdPercent}% for ${formatElapsed(settings.recurrenceWindowMs)} after the restart`,
      );
      return outcome('mitigated', 'high-memory', 'restarted to free memory; memory stayed normal');
    }
    await finding(
      `memory back at ${recurred}% within ${formatElapsed(settings.recurrenceWindowMs)} of the restart: probable memory leak — follow-up: profile memory and add memory profiling to CI/CD`,
    );
    const newLimit = Math.round(stats.limitBytes * settings.memoryLimitFactor);
    const answer = await askApproval(
      'raise-memory-limit',
      `raise ${target.container}'s memory limit from ${formatBytes(stats.limitBytes)} to ${formatBytes(newLimit)} (short-term fix; the leak still needs fixing)`,
    );
    if (answer === 'approved') {
      await mitigate(`raise the memory limit to ${formatBytes(newLimit)}`, () =>
        act.raiseMemoryLimit({ container: target.container, limitBytes: newLimit }),
      );
      return outcome(
        'mitigated',
        'memory-leak',
        `memory limit raised to ${formatBytes(newLimit)}; probable leak flagged for follow-up`,
      );
    }
    if (answer === 'dry-run')
      return outcome('dry-run', 'memory-leak', 'dry-run: would propose raising the memory limit');
    return answer === 'timeout'
      ? outcome('escalated', 'memory-leak', 'approval timed out')
      : outcome('escalated', 'memory-leak', 'raising the limit was rejected; the leak needs a human');
  }

  async function poolIsExhausted(): Promise<RunbookOutcome> {
    const app = await look.inspectContainer({ container: target.container });
    const poolSize = Number(app.env.DB_POOL_SIZE ?? '10');
    if (!target.databaseUrlEnv)
      return escalate(
        'pool-exhausted',
        'no database URL configured for this service: cannot inspect pg_stat_activity',
      );
    const usage = await look.connectionUsage({ urlEnv: target.databaseUrlEnv });
    const states =
      Object.entries(usage.byState)
        .map(([s, n]) => `${s} ${n}`)
        .join(', ') || 'none';
    await finding(
      `pg_stat_activity: ${states} (total ${usage.total} of max_connections ${usage.maxConnections}); ${target.container} DB_POOL_SIZE=${poolSize}`,
    );
    const { findings } = await logScan();
    const logged = findings.some((f) => f.cause === 'pool-exhausted');
    if (!poolExhausted(usage, poolSize) && !logged)
      return outcome(
        'nothing-to-do',
        'pool-normal',
        'connections are below the pool size and no pool errors are logged',
      );
    const newSize = proposedPoolSize(poolSize, settings.targetPoolSize);
    let answer: Awaited<ReturnType<typeof askApproval>> | 'none' = 'none';
    if (newSize !== null) {
      answer = await askApproval(
        'raise-pool-size',
        `recreate ${target.container} with DB_POOL_SIZE=${newSize} (now ${poolSize}); the database allows ${usage.maxConnections}`,
      );
      if (answer === 'approved') {
        await mitigate(`recreate ${target.container} with DB_POOL_SIZE=${newSize}`, () =>
          act.recreateContainer({
            container: target.container,
            env: { DB_POOL_SIZE: String(newSize) },
            stopTimeoutSeconds: settings.stopTimeoutSeconds,
          }),
        );
        const healthy = await verify();
        const after = await look.connectionUsage({ urlEnv: target.databaseUrlEnv });
        await finding(
          `connection usage after the change: total ${after.total} of ${usage.maxConnections} (${
            Object.entries(after.byState)
              .map(([s, n]) => `${s} ${n}`)
              .join(', ') || 'none'
          })`,
        );
        if (healthy)
          return outcome('mitigated', 'pool-exhausted', `pool size raised to ${newSize}; health verified`);
        return stillFailing('pool-exhausted', 'raising the pool size');
      }
      if (answer === 'dry-run')
        return outcome('dry-run', 'pool-exhausted', `dry-run: would propose DB_POOL_SIZE=${newSize}`);
      if (answer === 'timeout') return outcome('escalated', 'pool-exhausted', 'approval timed out');
    }
    // Rejected, or already at the target size: a restart releases the held connections.
    return afterRestart(
      'pool-exhausted',
      await restartApp('release the held connections'),
      `restarted ${target.container}`,
    );
  }

  async function healthFailure(): Promise<RunbookOutcome> {
    const health = await look.checkServiceHealth({ urls: target.healthUrls });
    await finding(
      `health: ${health.healthy ? 'healthy' : 'failing'}`,
      health.checks.map((c) => `${c.url} → ${c.detail}`),
    );
    if (health.healthy) return outcome('nothing-to-do', 'healthy', 'health endpoints answer healthy');
    const app = await look.inspectContainer({ container: target.container });
    await logScan();
    if (app.running) {
      const stats = await look.containerStats({ container: target.container });
      await finding(
        `resources: memory ${formatBytes(stats.usageBytes)} of ${formatBytes(stats.limitBytes)} (${memoryPercent(stats.usageBytes, stats.limitBytes)}%), disk ${stats.diskFreePercent === null ? 'n/a' : `${Math.round(stats.diskFreePercent)}% free`}`,
      );
    }
    const rollback = rollbackCandidate(
      { createdAt: app.imageCreatedAt, previous: app.previousImage, current: app.image },
      Date.now(),
      settings.rollbackWindowMs,
    );
    if (rollback)
      await finding(
        `recent deployment: image ${app.image} built ${app.imageCreatedAt}, within ${formatElapsed(settings.rollbackWindowMs)}; previous image ${rollback}`,
      );
    const restarted = await restartApp('health check failing');
    if (restarted !== 'restarted') return afterRestart('unhealthy', restarted, `restart ${target.container}`);
    if (await verify())
      return outcome('mitigated', 'unhealthy', `restarted ${target.container}; health verified`);
    if (!rollback)
      return escalate('unhealthy', 'still unhealthy after a restart and no recent deployment to roll back');
    const answer = await askApproval(
      'rollback-image',
      `roll ${target.container} back to the previous image ${rollback}`,
    );
    // askApproval already escalated a timeout; escalating again paged two levels for one silence.
    if (answer === 'timeout' && patched(ROLLBACK_TIMEOUT_ESCALATES_ONCE))
      return outcome('escalated', 'recent-deployment', 'rollback approval timed out; still unhealthy');
    if (answer !== 'approved') return escalate('recent-deployment', `rollback ${answer}; still unhealthy`);
    await mitigate(`roll back ${target.container} to ${rollback}`, () =>
      act.recreateContainer({
        container: target.container,
        image: rollback,
        stopTimeoutSeconds: settings.stopTimeoutSeconds,
      }),
    );
    if (await verify())
      return outcome('mitigated', 'recent-deployment', `rolled back to ${rollback}; health verified`);
    return escalate('recent-deployment', 'still unhealthy after the rollback');
  }

  await report({
    kind: 'finding',
    message: `runbook ${input.scenario} started for ${target.container}${input.dryRun ? ' (dry-run: nothing will be changed)' : ''}`,
  });
  switch (input.scenario) {
    case 'wont-start':
      return wontStart();
    case 'high-memory':
      return highMemory();
    case 'pool-exhausted':
      return poolIsExhausted();
    default:
      // 'health', and any other name (the incident sends only built-in scenarios here).
      return healthFailure();
  }
}
