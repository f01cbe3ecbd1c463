/**
 * The incident's child workflows: the runbook (started, told of approvals and severity changes, stopped,
 * and heard from through its reports) and the review reminder. What cannot live in the state object.
 */
import { ParentClosePolicy, getExternalWorkflowHandle, startChild, workflowInfo } from '@temporalio/workflow';
import { approveSignal, rejectSignal, respondWithinSignal, type RunbookReport } from '../../domain/messages';
import { approvalRequestText } from '../../domain/render';
import { reviewReminderWorkflow } from './review-reminder';
import { meetingProposal } from './review-meeting';
import { reviewWorkflowId } from '../../domain/incident-id';
import { runbookWorkflow } from '../legacy/runbook-built-in';
import { runbookInterpreterWorkflow } from '../runbook/interpreter';
import { runbookTaskQueue } from '../../domain/task-queues';
import { BUILT_IN_SCENARIOS } from '../../domain/types';
import { severityRule } from './ladder';
import { hasPatch, RUNBOOK_QUEUE } from './patches';
import { describeError } from './effects';
import type { ShellHooks } from './run-effect';
import { record, type IncidentState } from './state';

/** What the runbook child reports; answers whether the loop must act on it. */
export function onRunbookReport(state: IncidentState, raw: unknown): boolean {
  const now = Date.now();
  const r = runbookReportOf(raw);
  if (!r) {
    record(state, now, 'ignored', 'ignored a runbook report that is not one', { announce: false });
    return false;
  }
  const evidence = r.evidence?.length ? `\n${r.evidence.map((l) => `    > ${l}`).join('\n')}` : '';
  if (r.kind === 'finding') record(state, now, 'finding', `${r.message}${evidence}`);
  else if (r.kind === 'action') {
    record(state, now, 'action', r.message);
    if (r.phase === 'begin' && state.status === 'acknowledged') state.status = 'mitigating';
    if (r.phase === 'end' && state.status === 'mitigating') state.status = 'acknowledged';
  } else if (r.kind === 'proposal' && r.step) {
    const requestedAt = new Date(now).toISOString();
    state.pendingApprovals = [
      ...state.pendingApprovals.filter((p) => p.step !== r.step),
      { step: r.step, proposal: r.message, requestedAt },
    ];
    record(state, now, 'approval', `approval needed for "${r.step}": ${r.message}`, { announce: false });
    state.slackQueue.push({
      kind: 'approval',
      step: r.step,
      text: approvalRequestText(state, r.step, r.message),
      proposal: requestedAt,
    });
  } else if (r.kind === 'decision') {
    state.pendingApprovals = state.pendingApprovals.filter((p) => p.step !== r.step);
    record(state, now, 'approval', r.message);
  } else if (r.kind === 'escalate') {
    record(state, now, 'escalated', `runbook escalates: ${r.message}`);
    if (state.status !== 'monitoring' && state.status !== 'resolved')
      state.pendingEscalations.push(`runbook: ${r.message}`);
  }
  return true;
}

/** A report as the runbook sends it, with every field of the right type, or null (a signal is anyone's). */
function runbookReportOf(raw: unknown): RunbookReport | null {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return null;
  const r = raw as Record<string, unknown>;
  const kinds = ['finding', 'action', 'proposal', 'decision', 'escalate'];
  if (typeof r.kind !== 'string' || !kinds.includes(r.kind) || typeof r.message !== 'string') return null;
  const evidence = Array.isArray(r.evidence)
    ? r.evidence.filter((l): l is string => typeof l === 'string').slice(0, 50)
    : undefined;
  return {
    kind: r.kind as RunbookReport['kind'],
    message: r.message.slice(0, 4000),
    evidence,
    step: typeof r.step === 'string' ? r.step.slice(0, 200) : undefined,
    phase: r.phase === 'begin' || r.phase === 'end' ? r.phase : undefined,
  };
}

export function shellHooks(state: IncidentState, poke: () => void): ShellHooks {
  const runbookHandle = () => getExternalWorkflowHandle(state.runbook!.workflowId);
  return {
    async startRunbook() {
      const rb = state.policy!.runbook!;
      const runs = (state.runbook?.runs ?? 0) + 1;
      const workflowId = runs === 1 ? `${state.incidentId}-runbook` : `${state.incidentId}-runbook-${runs}`;
      const args = {
        incidentId: state.incidentId,
        parentWorkflowId: state.workflowId,
        service: state.input.service,
        scenario: state.input.scenario,
        severity: state.input.severity,
        respondWithinMs: severityRule(state)!.respondWithinMs,
        dryRun: rb.dryRun,
        target: rb.target,
        settings: rb.settings,
      };
      try {
        // A definition (frozen in the policy) runs on the interpreter; a scenario without one (started by hand
        // with any name) gets the health runbook. Policies without a definition exist only in runs recorded
        // before every built-in scenario had its file: they replay the frozen TypeScript runbooks.
        const builtIn = (BUILT_IN_SCENARIOS as readonly string[]).includes(args.scenario);
        const queue = hasPatch(RUNBOOK_QUEUE)
          ? { taskQueue: runbookTaskQueue(workflowInfo().taskQueue) }
          : {};
        if (rb.definition ? rb.definition.scenario !== args.scenario : !builtIn)
          record(
            state,
            Date.now(),
            'runbook',
            `no runbook for scenario "${args.scenario}": running the health runbook`,
          );
        const child = rb.definition
          ? await startChild(runbookInterpreterWorkflow, {
              workflowId,
              ...queue,
              args: [{ ...args, scenario: rb.definition.scenario, definition: rb.definition }],
            })
          : await startChild(runbookWorkflow, {
              workflowId,
              ...queue,
              args: [{ ...args, scenario: builtIn ? args.scenario : 'health' }],
            });
        state.runbook = { workflowId, running: true, runs };
        child.result().then(
          (outcome) => void ((state.runbookOutcome = outcome), poke()),
          (err) => void ((state.runbookOutcome = { failed: describeError(err) }), poke()),
        );
      } catch (err) {
        record(state, Date.now(), 'error', `runbook could not start: ${describeError(err)}`);
      }
    },
    async signalRunbook(forward) {
      const { kind, ...args } = forward;
      await runbookHandle().signal(kind === 'approve' ? approveSignal : rejectSignal, args);
    },
    async retimeRunbook(severity, respondWithinMs) {
      await runbookHandle().signal(respondWithinSignal, { severity, respondWithinMs });
    },
    async cancelRunbook() {
      await runbookHandle().cancel();
    },
    async startReviewReminder() {
      const reopened = state.timeline.filter((e) => e.type === 'reopened').length;
      const meeting = meetingProposal(state, Date.now());
      await startChild(reviewReminderWorkflow, {
        workflowId: reviewWorkflowId(state.incidentId, reopened),
        args: [
          {
            incidentId: state.incidentId,
            reviewPath: state.reviewPath!,
            thread: state.thread,
            remindAfterMs: state.policy!.reviewReminderAfterMs,
            ...(meeting && { meeting }),
          },
        ],
        parentClosePolicy: ParentClosePolicy.ABANDON,
      }).catch((err) =>
        record(state, Date.now(), 'error', `review reminder could not start: ${describeError(err)}`),
      );
    },
  };
}
