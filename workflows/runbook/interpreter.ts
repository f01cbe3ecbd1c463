/**
 * One workflow runs every runbook definition (`runbooks/*.yaml`), in the manner of Temporal's DSL
 * interpreter sample: probes in parallel, the first rule that holds names the cause, the cause's steps run
 * in order — each behind its gate, the restart budget and dry-run — and each is verified. The definition
 * arrives in the input, so the history freezes it: editing the file never changes an open incident.
 */
import { patched, proxyActivities, sleep, workflowInfo } from '@temporalio/workflow';
import type { RunbookActivities } from '../../activities/contract';
import { formatElapsed } from '../../domain/policy';
import {
  RESTARTING_STEPS,
  diagnose,
  fillTemplate,
  holds,
  type FactValue,
  type RunbookDefinition,
  type StepDefinition,
} from '../../domain/runbook-definition';
import { look, openRunbookSession, type RunbookInput, type RunbookOutcome } from './session';
import type { Platform } from './platform';
import { platformFor } from './platforms';

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

  const platform: Platform = platformFor({
    input,
    fill: (values) => Object.fromEntries(Object.entries(values).map(([k, v]) => [k, fillTemplate(v, facts)])),
    factorOf,
    finding,
  });

  /** Why a step cannot run on this target at all (then a human takes over). */
  const unusable = async (step: StepDefinition): Promise<string | null> => {
    if (step.kind === 'start-dependency' && !target.databaseContainer)
      return 'the service names no dependency container';
    return platform.unusable(step);
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
      changed = await mitigate(what, () => platform.change(step));
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
    if (step.kind === 'raise-memory-limit') await platform.suggestKeepingLimit();
    leave(step, true, approved, verified);
    done.push(step.id);
  }
  // Every step skipped by its condition: nothing needed doing.
  if (!done.length) return outcome('nothing-to-do', verdict.cause, summary);
  if (input.dryRun)
    return outcome('dry-run', verdict.cause, `dry-run: ${summary}; would run ${done.join(', ')}`);
  return outcome('mitigated', verdict.cause, `${summary}; done: ${done.join(', ')}`);
}
