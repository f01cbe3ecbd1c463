/**
 * One durable workflow per incident, as a loop: `decide` (pure) picks the next effect, `perform` carries
 * it out, and the loop waits for the next deadline or message. Handlers only validate and record.
 */
import {
  ParentClosePolicy,
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  setCurrentDetails,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { SignalDefinition, UpdateDefinition } from '@temporalio/common';
import {
  COMMANDS,
  SIGNAL_DESCRIPTIONS,
  alertSignal,
  approveSignal,
  rejectSignal,
  reviewScheduledSignal,
  runbookReportSignal,
  statusQuery,
  type CommandResult,
  type RunbookReport,
} from '../messages';
import { normalizeIncidentInput } from '../policy';
import { incidentLabel } from '../render';
import { reviewReminderWorkflow } from '../review-reminder';
import { runbookWorkflow } from '../runbook';
import {
  IncidentScenarioKey,
  IncidentServiceKey,
  IncidentSeverityKey,
  IncidentStatusKey,
} from '../search-attributes';
import type { IncidentInput, IncidentStatus } from '../types';
import { ingestAlerts } from './alerts';
import { COMMAND_NAMES, actorOf, apply, recordIgnored, refusal, type CommandArgs } from './commands';
import { decide } from './decide';
import { describeError, nextSlackItem, perform, sendSlack, type ShellHooks } from './perform';
import { carriedState, initialState, record, toView, type IncidentState } from './state';
import { severityRule } from './ladder';

export interface IncidentOutcome {
  incidentId: string;
  status: IncidentStatus;
  resolvedAt: string | null;
  reviewPath: string | null;
}

export async function runIncident(raw: IncidentInput): Promise<IncidentOutcome> {
  const info = workflowInfo();
  const { input, problems } = normalizeIncidentInput(raw);
  const { alerts: _alerts, ...fields } = input;
  const carried = carriedState(raw.carried);
  const state: IncidentState =
    carried ??
    initialState(
      fields,
      { incidentId: `${info.workflowId}-${info.runId.slice(0, 8)}`, workflowId: info.workflowId },
      Date.now(),
    );
  if (!carried) {
    record(
      state,
      Date.now(),
      'opened',
      `incident opened: ${fields.summary} (${fields.severity}, ${fields.service}, ${fields.scenario})`,
      {
        announce: false,
      },
    );
    for (const problem of problems)
      record(state, Date.now(), 'error', `start input: ${problem}`, { announce: false });
  }

  let wake = 0;
  const poke = () => void wake++;
  for (const name of COMMAND_NAMES) {
    // One shape for all seven: each takes one JSON object, validated by `refusal`.
    const { update, signal } = COMMANDS[name] as unknown as {
      update: UpdateDefinition<CommandResult, [CommandArgs]>;
      signal: SignalDefinition<[CommandArgs]>;
    };
    setHandler(
      update,
      (args) => {
        const message = apply(state, name, args, Date.now());
        poke();
        return { message, status: state.status };
      },
      {
        validator: (args) => {
          const why = refusal(state, name, args);
          if (why) throw new Error(why);
        },
        description: SIGNAL_DESCRIPTIONS[name],
      },
    );
    setHandler(
      signal,
      (args) => {
        const why = refusal(state, name, args);
        if (why) recordIgnored(state, name, args, why, Date.now());
        else apply(state, name, args, Date.now());
        poke();
      },
      { description: SIGNAL_DESCRIPTIONS[name] },
    );
  }
  setHandler(alertSignal, (args) => void (ingestAlerts(state, args?.alerts, Date.now()) && poke()), {
    description: SIGNAL_DESCRIPTIONS.alert,
  });
  setHandler(runbookReportSignal, (r) => void (onRunbookReport(state, r) && poke()), {
    description: SIGNAL_DESCRIPTIONS.runbookReport,
  });
  setHandler(
    reviewScheduledSignal,
    (args) => {
      state.reviewScheduledBy = actorOf(args as unknown as CommandArgs);
      record(state, Date.now(), 'review', 'post-incident review scheduled', {
        actor: state.reviewScheduledBy,
      });
    },
    { description: SIGNAL_DESCRIPTIONS.reviewScheduled },
  );
  setHandler(statusQuery, () => toView(state), { description: SIGNAL_DESCRIPTIONS.status });
  if (!carried) ingestAlerts(state, input.alerts, Date.now());

  const hooks = shellHooks(state, poke);
  let visible = '';
  for (;;) {
    visible = syncVisibility(state, visible);
    const effect = decide(state, Date.now(), {
      continueAsNewSuggested: workflowInfo().continueAsNewSuggested,
      historyLength: workflowInfo().historyLength,
    });
    if (effect.kind === 'wait') {
      const seen = wake;
      if (effect.until === null) await condition(() => wake !== seen);
      else if (effect.until > Date.now()) await condition(() => wake !== seen, effect.until - Date.now());
    } else if (effect.kind === 'slack') {
      const item = nextSlackItem(state);
      if (!item) continue;
      state.slackBusy = true;
      // Not awaited: the loop goes on paging while Slack retries; the lane wakes it when done.
      void sendSlack(state, item).finally(() => {
        state.slackBusy = false;
        poke();
      });
    } else if (effect.kind === 'continue-as-new') {
      record(
        state,
        Date.now(),
        'note',
        `history kept small: continuing as run ${state.run + 1} (${effect.why})`,
        {
          announce: false,
        },
      );
      await condition(allHandlersFinished);
      await continueAsNew<typeof runIncident>({ ...fields, carried: { ...state, run: state.run + 1 } });
    } else if (effect.kind === 'complete') {
      await condition(allHandlersFinished);
      // A message taken in while the handlers finished may have reopened the incident.
      if (decide(state, Date.now(), { continueAsNewSuggested: false, historyLength: 0 }).kind !== 'complete')
        continue;
      syncVisibility(state, visible);
      return {
        incidentId: state.incidentId,
        status: state.status,
        resolvedAt: state.resolvedAt === null ? null : new Date(state.resolvedAt).toISOString(),
        reviewPath: state.reviewPath,
      };
    } else {
      await perform(state, effect, hooks);
    }
  }
}

/** What the runbook child reports; answers whether the loop must act on it. */
function onRunbookReport(state: IncidentState, r: RunbookReport): boolean {
  const now = Date.now();
  const evidence = r.evidence?.length ? `\n${r.evidence.map((l) => `    > ${l}`).join('\n')}` : '';
  if (r.kind === 'finding') record(state, now, 'finding', `${r.message}${evidence}`);
  else if (r.kind === 'action') {
    record(state, now, 'action', r.message);
    if (r.phase === 'begin' && state.status === 'acknowledged') state.status = 'mitigating';
    if (r.phase === 'end' && state.status === 'mitigating') state.status = 'acknowledged';
  } else if (r.kind === 'proposal' && r.step) {
    state.pendingApprovals = [
      ...state.pendingApprovals.filter((p) => p.step !== r.step),
      { step: r.step, proposal: r.message, requestedAt: new Date(now).toISOString() },
    ];
    record(state, now, 'approval', `approval needed for "${r.step}": ${r.message}`, { announce: false });
    state.slackQueue.push({
      kind: 'approval',
      step: r.step,
      text: `:raised_hand: *Approval needed* for \`${r.step}\` on ${state.incidentId}: ${r.message}\nApprove: \`npm run incident -- approve ${state.workflowId} ${r.step}\`, the button below, or update/signal \`approve\` {"by": "<you>", "step": "${r.step}"} — or \`reject\` with a reason.`,
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

function shellHooks(state: IncidentState, poke: () => void): ShellHooks {
  const runbookHandle = () => getExternalWorkflowHandle(state.runbook!.workflowId);
  return {
    async startRunbook() {
      const rb = state.policy!.runbook!;
      const runs = (state.runbook?.runs ?? 0) + 1;
      const workflowId = runs === 1 ? `${state.incidentId}-runbook` : `${state.incidentId}-runbook-${runs}`;
      try {
        const child = await startChild(runbookWorkflow, {
          workflowId,
          args: [
            {
              incidentId: state.incidentId,
              parentWorkflowId: state.workflowId,
              service: state.input.service,
              scenario: state.input.scenario,
              severity: state.input.severity,
              respondWithinMs: severityRule(state)!.respondWithinMs,
              dryRun: rb.dryRun,
              target: rb.target,
              settings: rb.settings,
            },
          ],
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
    async cancelRunbook() {
      await runbookHandle().cancel();
    },
    async startReviewReminder() {
      const reopened = state.timeline.filter((e) => e.type === 'reopened').length;
      await startChild(reviewReminderWorkflow, {
        workflowId: reopened ? `${state.incidentId}-review-${reopened + 1}` : `${state.incidentId}-review`,
        args: [
          {
            incidentId: state.incidentId,
            reviewPath: state.reviewPath!,
            thread: state.thread,
            remindAfterMs: state.policy!.reviewReminderAfterMs,
          },
        ],
        parentClosePolicy: ParentClosePolicy.ABANDON,
      }).catch((err) =>
        record(state, Date.now(), 'error', `review reminder could not start: ${describeError(err)}`),
      );
    },
  };
}

/** Search attributes when they change (a command each), the UI's current details always (free). */
function syncVisibility(state: IncidentState, last: string): string {
  const key = `${state.status}|${state.input.severity}`;
  if (key !== last)
    upsertSearchAttributes([
      { key: IncidentSeverityKey, value: state.input.severity },
      { key: IncidentServiceKey, value: state.input.service },
      { key: IncidentScenarioKey, value: state.input.scenario },
      { key: IncidentStatusKey, value: state.status },
    ]);
  const lastPage = state.paged[state.paged.length - 1];
  const view = toView(state);
  setCurrentDetails(
    [
      `**${incidentLabel(view)}** — ${state.status}`,
      state.input.summary,
      state.acknowledgedBy ? `Acknowledged by ${state.acknowledgedBy} at ${view.acknowledgedAt}` : '',
      lastPage ? `Last paged: ${lastPage.levelName} (${lastPage.contacts.join(', ')}) at ${lastPage.at}` : '',
      view.nextEscalationAt ? `Next escalation: ${view.nextEscalationAt}` : '',
    ]
      .filter(Boolean)
      .join('\n\n'),
  );
  return key;
}
