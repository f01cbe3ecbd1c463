/**
 * One durable workflow per incident, as a loop: `decide` (pure) picks the next effect, `runEffect` carries
 * it out, and the loop waits for the next deadline or message. Handlers only validate and record.
 */
import {
  allHandlersFinished,
  CancellationScope,
  CancelledFailure,
  condition,
  continueAsNew,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { SignalDefinition, UpdateDefinition } from '@temporalio/common';
import {
  COMMANDS,
  SIGNAL_DESCRIPTIONS,
  alertSignal,
  mergedInSignal,
  mergeEndedSignal,
  reviewScheduledSignal,
  runbookReportSignal,
  statusQuery,
  type CommandResult,
} from '../../domain/messages';
import { normalizeIncidentInput } from '../../domain/policy';
import type { IncidentInput, IncidentStatus } from '../../domain/types';
import { incidentIdOf } from '../../domain/incident-id';
import { ingestAlerts } from './alerts';
import { MERGE_REVISION, mergedIn } from './merge';
import { onRunbookReport, shellHooks } from './children';
import {
  COMMAND_NAMES,
  actorOf,
  commandTaken,
  apply,
  recordIgnored,
  refusal,
  staleProposal,
  type CommandArgs,
} from './commands';
import { decide } from './decide';
import { Alarm } from './alarm';
import { runEffect, sendSlack } from './run-effect';
import { takeStoreWrite } from './store-lane';
import { writeStore, wroteHere } from './store-writes';
import { hasPatch, PAGES_FIRST } from './patches';
import { nextSlackItem } from './lifecycle';
import { requestCancel, revisionAtLeast } from './transitions';
import { fitState } from './state-bound';
import { carriedState, initialState, iso, record, type IncidentState } from './state';
import { toView } from './view';
import { syncVisibility } from './visibility';

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
  // The incident id is the first run's; continue-as-new carries it with the rest of the state.
  const state: IncidentState =
    carried ??
    initialState(
      fields,
      { incidentId: incidentIdOf(info.workflowId, info.runId), workflowId: info.workflowId },
      Date.now(),
    );
  if (!carried) {
    const what = `${fields.summary} (${fields.severity}, ${fields.service}, ${fields.scenario})`;
    if (fields.declaredBy)
      record(state, Date.now(), 'opened', `incident declared: ${what}`, {
        announce: false,
        actor: fields.declaredBy,
      });
    else record(state, Date.now(), 'opened', `incident opened: ${what}`, { announce: false });
    if (fields.routedBy)
      record(state, Date.now(), 'note', `routing: ${fields.routedBy}`, { announce: false });
    for (const problem of problems)
      record(state, Date.now(), 'error', `start input: ${problem}`, { announce: false });
  }

  let wake = 0;
  const poke = () => void wake++;
  // A signal is anyone's: whatever its payload, its handler records what it cannot use and never throws
  // (a throwing handler fails the workflow task, and Temporal retries it for ever while nobody is paged).
  const total =
    <A extends unknown[]>(name: string, handle: (...args: A) => void) =>
    (...args: A) => {
      try {
        handle(...args);
      } catch (err) {
        record(state, Date.now(), 'ignored', `ignored ${name}: ${(err as Error)?.message ?? String(err)}`, {
          announce: false,
        });
        poke();
      }
    };
  for (const name of COMMAND_NAMES) {
    // The same command as an Update (refused by its validator) and a Signal (a refusal is recorded).
    const { update, signal } = COMMANDS[name] as unknown as {
      update: UpdateDefinition<CommandResult, [CommandArgs]>;
      signal: SignalDefinition<[CommandArgs]>;
    };
    const description = SIGNAL_DESCRIPTIONS[name];
    const validator = (args: CommandArgs) => {
      const why = refusal(state, name, args) ?? staleProposal(state, name, args);
      if (why) throw new Error(why);
    };
    setHandler(
      update,
      (args) => {
        const message = apply(state, name, args, Date.now());
        poke();
        return { message, status: state.status };
      },
      { validator, description },
    );
    setHandler(
      signal,
      total(name, (args: CommandArgs) => {
        if (!commandTaken(state, name)) return;
        const why = refusal(state, name, args);
        if (why) recordIgnored(state, name, args, why, Date.now());
        else apply(state, name, args, Date.now());
        poke();
      }),
      { description },
    );
  }
  setHandler(
    alertSignal,
    total('alert', (args) => void (ingestAlerts(state, args?.alerts, Date.now()) && poke())),
    { description: SIGNAL_DESCRIPTIONS.alert },
  );
  setHandler(
    runbookReportSignal,
    total('runbookReport', (r) => void (onRunbookReport(state, r) && poke())),
    { description: SIGNAL_DESCRIPTIONS.runbookReport },
  );
  setHandler(
    reviewScheduledSignal,
    total('reviewScheduled', (args) => {
      state.reviewScheduledBy = actorOf(args as unknown as CommandArgs);
      record(state, Date.now(), 'review', 'post-incident review scheduled', {
        actor: state.reviewScheduledBy,
      });
    }),
    { description: SIGNAL_DESCRIPTIONS.reviewScheduled },
  );
  // Revision 8: an incident merged into this one, and the end of this one's own merge (`merge.ts`). Older runs
  // take neither: the release before has no handler, and a replay there must see the same.
  setHandler(
    mergedInSignal,
    total('mergedIn', (args) => {
      if (!revisionAtLeast(state, MERGE_REVISION)) return;
      if (!state.mergedInto)
        mergedIn(state, String(args?.from), String(args?.fromWorkflowId), String(args?.by), Date.now());
      ingestAlerts(state, args?.alerts, Date.now());
      poke();
    }),
    { description: SIGNAL_DESCRIPTIONS.mergedIn },
  );
  setHandler(
    mergeEndedSignal,
    total('mergeEnded', () => {
      if (!state.mergedInto) return;
      state.mergedInto.ended = true;
      poke();
    }),
    { description: SIGNAL_DESCRIPTIONS.mergeEnded },
  );
  setHandler(statusQuery, () => toView(state), { description: SIGNAL_DESCRIPTIONS.status });
  if (!carried) ingestAlerts(state, input.alerts, Date.now());

  // "Request Cancellation" in the Temporal UI is a command like any other: the loop runs on, shielded, and
  // closes the incident as cancelled (thread told, PagerDuty resolved, review written).
  CancellationScope.current().cancelRequested.catch(() => {
    requestCancel(state, 'Temporal', 'cancellation requested');
    poke();
  });
  return CancellationScope.nonCancellable(() => loop(state, fields, { poke, count: () => wake }));
}

/**
 * Steps the loop may take while workflow time stands still (one activation). Dozens are normal; past this
 * the loop is spinning on a state it cannot leave, and failing the task says so where a spin would hang
 * the worker (the stuck-incident check reports the failing task to a human).
 */
export const MAX_STEPS_PER_ACTIVATION = 1000;

async function loop(
  state: IncidentState,
  fields: Omit<IncidentInput, 'alerts'>,
  wake: { poke(): void; count(): number },
): Promise<IncidentOutcome> {
  const hooks = shellHooks(state, wake.poke);
  const wakes = wake.count;
  let visible = '';
  const alarm = new Alarm();
  let stillAt = NaN;
  let steps = 0;
  const recent: string[] = [];
  // The byte rule counts this run's growth, not the carried state in its start event.
  const historySizeAtStart = workflowInfo().historySize;
  for (;;) {
    const at = Date.now();
    steps = at === stillAt ? steps + 1 : 0;
    stillAt = at;
    visible = syncVisibility(state, visible);
    const { continueAsNewSuggested, historyLength, historySize } = workflowInfo();
    const effect = decide(state, Date.now(), {
      continueAsNewSuggested,
      historyLength,
      historySize,
      historySizeAtStart,
    });
    recent.push(effect.kind);
    if (recent.length > 5) recent.shift();
    if (steps > MAX_STEPS_PER_ACTIVATION)
      throw new Error(
        `incident ${state.incidentId}: the loop took ${steps} steps without time passing (last: ${recent.join(', ')}); failing this workflow task instead of spinning`,
      );
    if (effect.kind === 'wait') {
      const seen = wakes();
      if (hasPatch(PAGES_FIRST)) {
        alarm.set(effect.until, Date.now());
        // Revision 3: not before every handler has finished, so that an Update's answer is always recorded
        // before what the loop does about it. Woken in the same microtasks, the loop can go first, and on a
        // worker taking the incident over it did: a history no worker replays (docs/containment.md).
        const settled = revisionAtLeast(state, 3) ? allHandlersFinished : () => true;
        await condition(() => (wakes() !== seen || alarm.rang) && settled());
      } else if (effect.until === null) await condition(() => wakes() !== seen);
      else if (effect.until > Date.now()) await condition(() => wakes() !== seen, effect.until - Date.now());
    } else if (effect.kind === 'slack') {
      const item = nextSlackItem(state);
      if (!item) continue;
      state.slackBusy = true;
      // Not awaited: the loop goes on paging while Slack retries; the lane wakes it when done.
      void sendSlack(state, item).finally(() => void ((state.slackBusy = false), wake.poke()));
    } else if (effect.kind === 'store' || effect.kind === 'store-here') {
      const write = takeStoreWrite(state);
      // Revision 5: written where the loop runs, or else by the lane, as on revision 4.
      if (effect.kind === 'store-here' && (await wroteHere(state, write))) continue;
      const lane = state.storeLane!;
      lane.busy = true;
      // Not awaited either: a slow store delays the record, never a page.
      void writeStore(state, write).finally(() => void ((lane.busy = false), wake.poke()));
    } else if (effect.kind === 'continue-as-new') {
      record(
        state,
        Date.now(),
        'note',
        `history kept small: continuing as run ${state.run + 1} (${effect.why})`,
        { announce: false },
      );
      await condition(allHandlersFinished);
      // The next run's input must fit Temporal's payload limit, or the run could never hand over.
      const trimmed = revisionAtLeast(state, 2) ? fitState(state) : [];
      if (trimmed.length)
        record(state, Date.now(), 'note', `state trimmed to fit a payload: ${trimmed.join(', ')}`, {
          announce: false,
        });
      await continueAsNew<typeof runIncident>({ ...fields, carried: { ...state, run: state.run + 1 } });
    } else if (effect.kind === 'open-anew') {
      // Revision 8: the incident this one was merged into has closed; its group's alerts since open a new
      // incident, as a new run of this workflow id that carries nothing over (so it has a new incident id).
      const alerts = state.mergedInto!.forward.splice(0);
      record(state, Date.now(), 'note', `${alerts.length} alert(s) of this group open a new incident`, {
        announce: false,
      });
      await condition(allHandlersFinished);
      await continueAsNew<typeof runIncident>({ ...fields, alerts });
    } else if (effect.kind === 'complete') {
      await condition(allHandlersFinished);
      // A message taken in while the handlers finished may have reopened the incident.
      if (
        decide(state, Date.now(), { continueAsNewSuggested: false, historyLength: 0, historySize: 0 })
          .kind !== 'complete'
      )
        continue;
      syncVisibility(state, visible);
      // Ends as Temporal's "Canceled", as asked, once the incident is closed the way people can follow.
      if (state.status === 'cancelled') throw new CancelledFailure(state.resolutionSummary ?? 'cancelled');
      const resolvedAt = iso(state.resolvedAt);
      return { incidentId: state.incidentId, status: state.status, resolvedAt, reviewPath: state.reviewPath };
    } else {
      await runEffect(state, effect, hooks);
    }
  }
}
