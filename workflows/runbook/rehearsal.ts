/**
 * A rehearsal of a runbook definition (`npm run runbook -- test`): stands where the incident would, runs
 * the interpreter as its child, answers its proposals as the fixture says, and returns every report in
 * order with the outcome — the path the runbook took. Its activities are the fixture's recorded facts.
 */
import { condition, setHandler, startChild, workflowInfo } from '@temporalio/workflow';
import { approveSignal, rejectSignal, runbookReportSignal, type RunbookReport } from '../../domain/messages';
import { runbookInterpreterWorkflow, type InterpreterInput } from './interpreter';
import type { RunbookOutcome } from './session';

export interface RehearsalInput {
  runbook: Omit<InterpreterInput, 'parentWorkflowId'>;
  /** How each proposal is answered; a step not named is never answered (its approval times out). */
  approvals: Record<string, 'approve' | 'reject'>;
}

export interface RehearsalResult {
  reports: RunbookReport[];
  outcome: RunbookOutcome;
}

export async function runbookRehearsalWorkflow(input: RehearsalInput): Promise<RehearsalResult> {
  const reports: RunbookReport[] = [];
  const asked: string[] = [];
  setHandler(runbookReportSignal, (r) => {
    reports.push(r);
    if (r.kind === 'proposal' && r.step) asked.push(r.step);
  });
  const child = await startChild(runbookInterpreterWorkflow, {
    workflowId: `${workflowInfo().workflowId}-runbook`,
    args: [{ ...input.runbook, parentWorkflowId: workflowInfo().workflowId }],
  });
  let done = false;
  let outcome: RunbookOutcome | undefined;
  // A runbook that fails is the rehearsal's answer too: waiting on it for ever would wedge the rehearsal.
  void child.result().then(
    (o) => ((outcome = o), (done = true)),
    (err: Error) => {
      outcome = {
        scenario: input.runbook.scenario,
        cause: 'unknown',
        result: 'failed',
        summary: `the runbook failed: ${(err.cause as Error | undefined)?.message ?? err.message}`,
        actions: [],
      };
      done = true;
    },
  );
  for (;;) {
    await condition(() => done || asked.length > 0);
    if (done) break;
    const step = asked.shift() as string;
    const answer = Object.hasOwn(input.approvals, step) ? input.approvals[step] : undefined;
    if (answer === 'approve') await child.signal(approveSignal, { step, by: 'rehearsal' });
    if (answer === 'reject') await child.signal(rejectSignal, { step, by: 'rehearsal', reason: 'fixture' });
  }
  return { reports, outcome: outcome as RunbookOutcome };
}
