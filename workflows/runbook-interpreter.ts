/**
 * One workflow runs every runbook definition (`runbooks/*.yaml`), in the manner of Temporal's DSL
 * interpreter sample: probes in parallel, the first rule that holds names the cause, the cause's steps run
 * in order — each behind its gate, the restart budget and dry-run — and each is verified. The definition
 * arrives in the input, so the history freezes it: editing the file never changes an open incident.
 */
import { ApplicationFailure, patched, proxyActivities, sleep, workflowInfo } from '@temporalio/workflow';
import type { RunbookActivities } from '../activities/contract';
import { formatElapsed } from '../domain/policy';
import {
  RESTARTING_STEPS,
  diagnose,
  fillTemplate,
  holds,
  type FactValue,
  type RunbookDefinition,
  type StepDefinition,
} from '../domain/runbook-definition';
import { formatBytes } from '../domain/runbook-policy';
import {
  act,
  look,
  openRunbookSession,
  waitFor,
  type RunbookInput,
  type RunbookOutcome,
} from './runbook-session';

export interface InterpreterInput extends RunbookInput {
  definition: RunbookDefinition;
}

/** An activity failure's own message (the wrapper only says "Activity task failed"). */
function failureMessage(err: unknown): string {
  return (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message;
}

/** A probe that fails in a verification or a watch escalates with the reason (the run failed before). */
export const PROBE_FAILURE_ESCALATES = 'runbook-probe-failure-escalates';

/** How often a verifying probe is asked again while its condition does not hold yet. */
const VERIFY_EVERY_MS = 5000;

export async function runbookInterpreterWorkflow(input: InterpreterInput): Promise<RunbookOutcome> {
  const { definition, target, settings } = input;
  const session = openRunbookSession(input);
  const { report, finding, outcome, escalate, mitigate, askApproval, stillFailing } = session;
  const facts = new Map<string, FactValue>();

  /** A probe's answer; a command probe may take its own timeout, longer than a look's 30 s. */
  const probe = (id: string) => {
    const p = definition.probes[id];
    return (
      p.kind === 'command' && p.timeoutMs > 20_000
        ? proxyActivities<RunbookActivities>({
            startToCloseTimeout: p.timeoutMs + 15_000,
            retry: {
              initialInterval: '1s',
              backoffCoefficient: 2,
              maximumInterval: '10s',
              maximumAttempts: 3,
            },
          })
        : look
    ).runProbe({
      id,
      probe: p,
      service: input.service,
      container: target.container,
      databaseContainer: target.databaseContainer,
      urlEnv: target.databaseUrlEnv,
      urls: target.healthUrls,
    });
  };
  const learn = (id: string, found: Record<string, FactValue>) => {
    for (const [field, value] of Object.entries(found)) facts.set(`${id}.${field}`, value);
  };
  const factorOf = (step: { factor?: number }) => step.factor ?? settings.memoryLimitFactor;
  learn('settings', {
    memoryThresholdPercent: settings.memoryThresholdPercent,
    targetPoolSize: settings.targetPoolSize,
    memoryLimitFactor: settings.memoryLimitFactor,
    rollbackWindowHours: Math.round((settings.rollbackWindowMs / 3_600_000) * 100) / 100,
    restartBudget: settings.restartBudget,
  });

  await report({
    kind: 'finding',
    message: `runbook ${definition.scenario} (${definition.source}) started for ${target.container}${input.dryRun ? ' (dry-run: nothing will be changed)' : ''}`,
  });

  // Probes run at once; one that fails is reported and its facts stay unknown (rules on them do not match).
  const ids = Object.keys(definition.probes);
  const seen = await Promise.all(
    ids.map((id) =>
      probe(id).then(
        (r) => ({ ok: true as const, r }),
        (err: unknown) => ({ ok: false as const, error: failureMessage(err) }),
      ),
    ),
  );
  for (let i = 0; i < ids.length; i++) {
    const s = seen[i];
    if (s.ok) {
      learn(ids[i], s.r.facts);
      await finding(s.r.message, s.r.evidence);
    } else await finding(`probe ${ids[i]} failed: ${s.error}`);
  }

  const verdict = diagnose(definition.rules, facts);
  if (!verdict || !Object.hasOwn(definition.causes, verdict.cause))
    return escalate('unknown', 'no rule of the runbook matched: a human must diagnose');
  const cause = definition.causes[verdict.cause];
  const summary = fillTemplate(cause.summary, facts);
  await finding(`diagnosis (rule ${verdict.rule + 1}): ${verdict.cause} — ${summary}`);
  if (!cause.steps.length) return outcome('nothing-to-do', verdict.cause, summary);

  /** Asks the probe again until its condition holds or the time is up. */
  const verifyByProbe = async (probeId: string, expect: Parameters<typeof holds>[0], withinMs: number) => {
    const deadline = Date.now() + withinMs;
    for (;;) {
      const r = await probe(probeId);
      learn(probeId, r.facts);
      const ok = holds(expect, facts);
      if (ok || Date.now() >= deadline) {
        await finding(
          `verification by ${probeId}: ${ok ? 'holds' : `does not hold after ${formatElapsed(withinMs)}`} — ${r.message}`,
          r.evidence,
        );
        return ok;
      }
      await sleep(Math.min(VERIFY_EVERY_MS, Math.max(1, deadline - Date.now())));
    }
  };

  const onKubernetes = target.platform === 'kubernetes';
  const service = input.service;

  /**
   * A step on a Deployment: the change (effectively once, see activities/kubernetes.ts), then `rollout
   * status` until the step's timeout; a rollout that does not complete fails the step.
   */
  const performOnKubernetes = async (step: StepDefinition): Promise<{ action: string; detail: string }> => {
    const change = async () => {
      switch (step.kind) {
        case 'restart':
          // The workflow's clock is part of history: a retried activity finds its own stamp.
          return act.rolloutRestart({ service, requestedAt: new Date().toISOString() });
        case 'recreate':
          return act.setEnvironment({
            service,
            env: Object.fromEntries(Object.entries(step.env).map(([k, v]) => [k, fillTemplate(v, facts)])),
          });
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
    const changed = await change();
    const status = await proxyActivities<RunbookActivities>({
      startToCloseTimeout: step.timeoutMs + 30_000,
      heartbeatTimeout: '10s',
      retry: { initialInterval: '1s', maximumAttempts: 3 },
    }).rolloutStatus({ service, timeoutMs: step.timeoutMs });
    if (!status.complete) throw ApplicationFailure.nonRetryable(status.detail, 'RolloutIncomplete');
    return { action: changed.action, detail: `${changed.detail}; ${status.detail}` };
  };

  /** The change a step makes, through the activity that makes it effectively once. */
  const perform = async (step: StepDefinition): Promise<{ action: string; detail: string }> => {
    if (onKubernetes) return performOnKubernetes(step);
    const stopTimeoutSeconds = settings.stopTimeoutSeconds;
    switch (step.kind) {
      case 'restart': {
        // The engine's clock, not ours: the activity compares it with the engine's StartedAt.
        const requestedAt = await look.engineTime();
        return act.restartContainer({ container: target.container, requestedAt, stopTimeoutSeconds });
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
      case 'recreate': {
        // Values may read facts and settings (DB_POOL_SIZE: "{{settings.targetPoolSize}}").
        const env = Object.fromEntries(Object.entries(step.env).map(([k, v]) => [k, fillTemplate(v, facts)]));
        return act.recreateContainer({ container: target.container, env, stopTimeoutSeconds });
      }
      case 'raise-memory-limit': {
        const app = await look.inspectContainer({ container: target.container });
        const limitBytes = Math.round(app.memoryLimitBytes * factorOf(step));
        return act.raiseMemoryLimit({ container: target.container, limitBytes });
      }
      case 'rollback': {
        const app = await look.inspectContainer({ container: target.container });
        return act.recreateContainer({
          container: target.container,
          image: app.previousImage as string,
          stopTimeoutSeconds,
        });
      }
      case 'scale':
        return act.scaleOut({ container: target.container, replicas: step.replicas });
      case 'exec': {
        // Not retried: a definition's command need not be idempotent, and a second run could do harm.
        const once = proxyActivities<RunbookActivities>({
          startToCloseTimeout: step.timeoutMs + 30_000,
          heartbeatTimeout: '10s',
          retry: { maximumAttempts: 1 },
        });
        const r = await once.runInContainer({
          container: target.container,
          command: step.command,
          timeoutMs: step.timeoutMs,
        });
        const tail = r.lines.slice(-3).join(' | ');
        if (r.noShell || r.timedOut || r.exitCode !== 0)
          throw ApplicationFailure.nonRetryable(
            r.noShell
              ? `the image of ${target.container} has no shell`
              : r.timedOut
                ? `timed out after ${formatElapsed(step.timeoutMs)}`
                : `exit code ${r.exitCode}${tail ? `: ${tail}` : ''}`,
            'StepFailed',
          );
        return { action: 'exec', detail: `${step.id}: exit code 0${tail ? ` (${tail})` : ''}` };
      }
      case 'escalate':
      case 'watch':
        throw ApplicationFailure.nonRetryable(`${step.kind} is not a change`, 'NotAChange');
    }
  };

  /** Why a step cannot run on this target at all (then a human takes over). */
  const unusable = async (step: StepDefinition): Promise<string | null> => {
    if (step.kind === 'start-dependency' && !target.databaseContainer)
      return 'the service names no dependency container';
    if (onKubernetes) return unusableOnKubernetes(step);
    if (step.kind === 'rollback') {
      const app = await look.inspectContainer({ container: target.container });
      if (!app.previousImage || app.previousImage === app.image) return 'no previous image is recorded';
    }
    if (step.kind === 'raise-memory-limit') {
      const app = await look.inspectContainer({ container: target.container });
      if (!app.memoryLimitBytes) return `${target.container} has no memory limit to raise`;
      await finding(
        `memory limit of ${target.container}: ${formatBytes(app.memoryLimitBytes)} → ${formatBytes(Math.round(app.memoryLimitBytes * factorOf(step)))}`,
      );
    }
    return null;
  };

  const unusableOnKubernetes = async (step: StepDefinition): Promise<string | null> => {
    if (step.kind === 'start-dependency' || step.kind === 'exec')
      return `a ${step.kind} step acts on a container; ${target.container} is a Deployment on Kubernetes`;
    if (step.kind !== 'rollback' && step.kind !== 'raise-memory-limit') return null;
    const d = await look.describeDeployment({ service });
    if (!d.exists) return `deployment ${target.container} does not exist`;
    if (step.kind === 'rollback' && (!d.previousReplicaSet || d.revision === null))
      return 'no previous revision is recorded';
    if (step.kind === 'raise-memory-limit') {
      if (!d.memoryLimitBytes) return `${target.container} has no memory limit to raise`;
      await finding(
        `memory limit of ${target.container}: ${formatBytes(d.memoryLimitBytes)} → ${formatBytes(Math.round(d.memoryLimitBytes * factorOf(step)))}`,
      );
    }
    return null;
  };

  /** Asks the watched probe every `everyMs` for `forMs`: whether its condition held every time. */
  const watch = async (step: Extract<StepDefinition, { kind: 'watch' }>, what: string): Promise<boolean> => {
    const forMs = step.forMs ?? settings.recurrenceWindowMs;
    const everyMs = step.everyMs ?? settings.sampleEveryMs;
    const begun = Date.now();
    const ends = begun + forMs;
    while (Date.now() < ends) {
      await sleep(Math.min(everyMs, Math.max(1, ends - Date.now())));
      const r = await probe(step.probe);
      learn(step.probe, r.facts);
      if (!holds(step.expect, facts)) {
        await finding(
          `watch: ${what} — broke after ${formatElapsed(Date.now() - begun)}: ${r.message}`,
          r.evidence,
        );
        return false;
      }
    }
    await finding(`watch: ${what} — held for ${formatElapsed(forMs)}`);
    return true;
  };

  /** A raised limit survives recreates (the engine keeps it); a redeploy from the compose file would not. */
  const suggestComposeLimit = async () => {
    if (onKubernetes) {
      // `kubectl apply` of the old manifest would put the old limit back.
      const d = await look.describeDeployment({ service });
      const mib = Math.round((d.memoryLimitBytes ?? 0) / 1048576);
      return finding(
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
    }
    const app = await look.inspectContainer({ container: target.container });
    const mib = Math.round(app.memoryLimitBytes / 1048576);
    await finding(
      `to keep the ${mib} MiB limit across a redeploy, change the compose file (suggested patch):`,
      ['services:', `  ${target.container}:`, `    mem_limit: ${mib}m`],
    );
  };

  /**
   * A verification or watch whose probe fails (after its retries) leaves the change unjudged: people are
   * called with the reason, where the runbook used to fail and leave the incident with nobody told.
   */
  const checked = async (what: string, check: () => Promise<boolean>): Promise<boolean | string> => {
    try {
      return await check();
    } catch (err) {
      // Runs recorded before this failed here; they replay the same way.
      if (!patched(PROBE_FAILURE_ESCALATES)) throw err;
      const why = `${what} could not be checked: ${failureMessage(err)}`;
      await finding(why);
      return why;
    }
  };

  const done: string[] = [];
  /** What the step left behind, for later steps' conditions. */
  const leave = (step: StepDefinition, ran: boolean, approved: boolean | null, verified: boolean | null) =>
    learn(step.id, { ran, approved, verified });
  for (const step of cause.steps) {
    if (step.when && !holds(step.when, facts)) {
      leave(step, false, null, null);
      continue;
    }
    const what = fillTemplate(step.description, facts);
    if (step.kind === 'escalate') return escalate(verdict.cause, what);
    if (step.kind === 'watch') {
      // In dry-run nothing was changed: there is nothing to watch come back.
      const held = input.dryRun ? null : await checked(what, () => watch(step, what));
      if (typeof held === 'string') return escalate(verdict.cause, held);
      learn(step.id, { ran: held !== null, approved: null, verified: null, held });
      if (held !== null) done.push(step.id);
      continue;
    }
    const why = await unusable(step);
    if (why) return escalate(verdict.cause, `cannot ${step.id}: ${why}`);
    let approved: boolean | null = null;
    if (step.gate === 'approve') {
      const answer = await askApproval(step.id, what);
      // askApproval reported and escalated a timeout already.
      if (answer === 'timeout')
        return outcome('escalated', verdict.cause, `approval for ${step.id} timed out`);
      approved = answer !== 'rejected';
      if (answer === 'rejected') {
        leave(step, false, false, null);
        if (step.onReject === 'continue') continue;
        return escalate(verdict.cause, `${step.id} was rejected: ${what} not done`);
      }
    }
    if (RESTARTING_STEPS.has(step.kind) && !input.dryRun) {
      const claim = await look.claimRestart({
        container: target.container,
        claimant: `${workflowInfo().workflowId}/${step.id}`,
        budget: settings.restartBudget,
        windowMs: settings.restartWindowMs,
      });
      if (!claim.granted)
        return escalate(
          verdict.cause,
          `restart budget spent: ${claim.used} of ${claim.budget} restarts of ${target.container} in the last ${formatElapsed(settings.restartWindowMs)} (${claim.holders.join(', ')}); escalating instead of ${step.id}`,
        );
    }
    let changed: boolean;
    try {
      changed = await mitigate(what, () => perform(step));
    } catch (err) {
      const message = failureMessage(err);
      await report({ kind: 'escalate', message: `${step.id} failed: ${message}` });
      return outcome('failed', verdict.cause, `${step.id} failed: ${message}`);
    }
    if (!changed) {
      leave(step, false, approved, null);
      done.push(`${step.id} (dry-run)`);
      continue;
    }
    let verified: boolean | null = null;
    if (step.verify) {
      const verify = step.verify;
      const result = await checked(`the verification of ${step.id}`, () =>
        verify === 'health' ? session.verify() : verifyByProbe(verify.probe, verify.expect, verify.withinMs),
      );
      if (typeof result === 'string') return escalate(verdict.cause, result);
      verified = result;
      if (!verified && step.onFailure !== 'continue') return stillFailing(verdict.cause, step.id);
    }
    if (step.kind === 'raise-memory-limit') await suggestComposeLimit();
    leave(step, true, approved, verified);
    done.push(step.id);
  }
  // Every step skipped by its condition: nothing needed doing.
  if (!done.length) return outcome('nothing-to-do', verdict.cause, summary);
  if (input.dryRun)
    return outcome('dry-run', verdict.cause, `dry-run: ${summary}; would run ${done.join(', ')}`);
  return outcome('mitigated', verdict.cause, `${summary}; done: ${done.join(', ')}`);
}
