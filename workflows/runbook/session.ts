/**
 * What every runbook workflow shares, the interpreter of definitions (`interpreter.ts`) and the frozen
 * TypeScript runbooks (`../legacy/runbook-built-in.ts`): the activity proxies, approve/reject and re-timing handlers, reports to the
 * incident, dry-run, verification by health, and waiting for an approval that escalates when nobody answers.
 */
import {
  condition,
  getExternalWorkflowHandle,
  proxyActivities,
  setHandler,
  sleep,
} from '@temporalio/workflow';
import type { RunbookActivities } from '../../activities/contract';
import {
  SIGNAL_DESCRIPTIONS,
  approveSignal,
  rejectSignal,
  respondWithinSignal,
  runbookReportSignal,
  type RunbookReport,
} from '../../domain/messages';
import { formatElapsed } from '../../domain/policy';
import type { RunbookInput, RunbookOutcome, RunbookSettings, RunbookTarget } from '../../domain/runbook';

export type { RunbookInput, RunbookOutcome, RunbookSettings, RunbookTarget };

// Reading state is quick and safe to retry.
export const look = proxyActivities<RunbookActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 5 },
});
// Mutations heartbeat, so a worker killed mid-step is noticed within seconds and the retry (which checks
// state first) takes over.
export const act = proxyActivities<RunbookActivities>({
  startToCloseTimeout: '3m',
  heartbeatTimeout: '5s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 5 },
});
export const waitFor = proxyActivities<RunbookActivities>({
  startToCloseTimeout: '2m',
  retry: { initialInterval: '2s', maximumAttempts: 3 },
});

type Decision = { approved: boolean; by: string; reason?: string };

export type ApprovalAnswer = 'approved' | 'rejected' | 'timeout' | 'dry-run';

/** Registers the runbook's handlers and returns the helpers bound to this run. */
export function openRunbookSession(input: RunbookInput) {
  const { target, settings } = input;
  const parent = getExternalWorkflowHandle(input.parentWorkflowId);
  const decisions = new Map<string, Decision>();
  const actions: string[] = [];
  setHandler(
    approveSignal,
    (a) => void (a?.step && decisions.set(a.step, { approved: true, by: a.by ?? 'unknown' })),
    {
      description: SIGNAL_DESCRIPTIONS.approve,
    },
  );
  setHandler(
    rejectSignal,
    (a) =>
      void (a?.step && decisions.set(a.step, { approved: false, by: a.by ?? 'unknown', reason: a.reason })),
    {
      description: SIGNAL_DESCRIPTIONS.reject,
    },
  );

  // The incident's severity may change while a proposal waits: the wait follows its response time.
  let respondWithinMs = input.respondWithinMs;
  setHandler(
    respondWithinSignal,
    (a) => {
      if (typeof a?.respondWithinMs === 'number' && a.respondWithinMs > 0)
        respondWithinMs = a.respondWithinMs;
    },
    { description: SIGNAL_DESCRIPTIONS.respondWithin },
  );

  const report = (r: RunbookReport) => parent.signal(runbookReportSignal, r);
  const finding = (message: string, evidence?: string[]) =>
    report({ kind: 'finding', message, ...(evidence?.length ? { evidence } : {}) });
  const outcome = (result: RunbookOutcome['result'], cause: string, summary: string): RunbookOutcome => ({
    scenario: input.scenario,
    cause,
    result,
    summary,
    actions,
  });
  const escalate = async (cause: string, why: string) => {
    await report({ kind: 'escalate', message: why });
    return outcome('escalated', cause, why);
  };

  /** Runs a change unless in dry-run; every change is reported before and after, with its evidence. */
  const mitigate = async (
    label: string,
    change: () => Promise<{ action: string; detail: string }>,
  ): Promise<boolean> => {
    if (input.dryRun) {
      await report({ kind: 'action', message: `dry-run: would ${label}; nothing changed` });
      actions.push(`dry-run: ${label}`);
      return false;
    }
    await report({ kind: 'action', phase: 'begin', message: `mitigation: ${label}` });
    const result = await change();
    actions.push(result.detail);
    await report({ kind: 'action', phase: 'end', message: `mitigation done: ${result.detail}` });
    return true;
  };

  const verify = async (): Promise<boolean> => {
    await sleep(settings.settleMs);
    const health = await look.checkServiceHealth({ urls: target.healthUrls });
    const detail = health.checks.map((c) => `${c.url} → ${c.detail}`);
    await finding(
      `health after ${formatElapsed(settings.settleMs)} settle: ${health.healthy ? 'healthy' : 'still failing'}`,
      detail,
    );
    return health.healthy;
  };

  /** Waits for approve/reject of a proposal; no answer within the severity's response time escalates. */
  const askApproval = async (step: string, proposal: string): Promise<ApprovalAnswer> => {
    if (input.dryRun) {
      await report({ kind: 'action', message: `dry-run: would propose ${step}: ${proposal}` });
      actions.push(`dry-run: proposed ${step}`);
      return 'dry-run';
    }
    await report({ kind: 'proposal', step, message: proposal });
    // The deadline counts from the proposal; a severity change re-arms the wait by the new response time.
    const askedAt = Date.now();
    for (;;) {
      const waitingBy = respondWithinMs;
      const left = askedAt + waitingBy - Date.now();
      if (left <= 0) break;
      await condition(() => decisions.has(step) || respondWithinMs !== waitingBy, left);
      if (decisions.has(step) || respondWithinMs === waitingBy) break;
    }
    if (!decisions.has(step)) {
      await report({
        kind: 'decision',
        step,
        message: `no answer to "${step}" within ${formatElapsed(respondWithinMs)}: step skipped, escalating`,
      });
      await report({ kind: 'escalate', message: `approval for "${step}" timed out` });
      return 'timeout';
    }
    const d = decisions.get(step) as Decision;
    await report({
      kind: 'decision',
      step,
      message: `${step} ${d.approved ? 'approved' : `rejected${d.reason ? `: ${d.reason}` : ''}`} by ${d.by}`,
    });
    return d.approved ? 'approved' : 'rejected';
  };

  /** Health is still bad after a mitigation: the next step is a human. */
  const stillFailing = async (cause: string, what: string) => {
    await report({ kind: 'escalate', message: `still failing after ${what}` });
    return outcome('failed', cause, `still failing after ${what}`);
  };

  return { actions, report, finding, outcome, escalate, mitigate, verify, askApproval, stillFailing };
}
