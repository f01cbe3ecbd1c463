/**
 * The incident engine's pure core driven as the workflow's loop drives it, with the outside world
 * stood in for: every page is delivered, the service has no health URLs, Slack and the journal answer.
 * The state changes are the engine's own (decide, commands, alerts, ladder, transitions); only the
 * activity calls between them are replaced. Property tests and the simulation's oracle use it.
 */
import { toIncidentPolicy, toResponderPlan, toTeamPolicy } from '../../activities/policy';
import { reassigned } from '../../workflows/incident/reassign';
import { merged } from '../../workflows/incident/merge';
import { RESPONDER_LEVEL } from '../../domain/responders';
import type { RunbooksConfig } from '../../config';
import { ingestAlerts } from '../../workflows/incident/alerts';
import { onRunbookReport } from '../../workflows/incident/children';
import {
  apply,
  commandTaken,
  recordIgnored,
  refusal,
  type CommandName,
} from '../../workflows/incident/commands';
import { decide, type Effect } from '../../workflows/incident/decide';
import { invariantViolations } from '../../workflows/incident/invariants';
import {
  firstRungDue,
  rungAfter,
  statusUpdateAfter,
  statusUpdateFrom,
} from '../../workflows/incident/ladder';
import { nextSlackItem } from '../../workflows/incident/lifecycle';
import { scheduleFollowUps, stillWanted } from '../../workflows/incident/follow-ups';
import { responderPlanned, responderRanOut, takeResponderPage } from '../../workflows/incident/responders';
import { openStoreLane, storeWritten, takeStoreWrite } from '../../workflows/incident/store-lane';
import { initialState, stopClocks, type IncidentState } from '../../workflows/incident/state';
import {
  advanceLadder,
  beginCancel,
  beginClose,
  beginReAlert,
  deferToBusinessHours,
  noteLadderEnd,
  raiseFromAlert,
  reopen,
  requestCancel,
} from '../../workflows/incident/transitions';
import type { Severity } from '../../domain/types';

const RUN = { continueAsNewSuggested: false, historyLength: 10, historySize: 2000 };
/** Effects one drain may carry out before the model calls it a spin (the workflow's budget is 1,000). */
export const MAX_EFFECTS_PER_DRAIN = 500;

/** The level of a notification rule's follow-up among the model's pages (revision 9). */
export const FOLLOW_UP_LEVEL = -9;
/** On revision 9 every page of the model asks for these follow-ups of one person's rules. */
const MODEL_PERSON = 'model-person';
export const MODEL_FOLLOW_UPS = [
  { channel: 'email', afterMs: 90_000 },
  { channel: 'pagerduty', afterMs: 300_000 },
] as const;

export interface ModelPage {
  at: number;
  level: number;
  reason: string;
}

/** The configuration each model incident was opened with: added responders are read from it. */
const configs = new WeakMap<IncidentState, RunbooksConfig>();

/** An incident opened at `t0` with the configuration's policy loaded, as the loop's first step leaves it. */
export function openModel(config: RunbooksConfig, severity: Severity, t0: number): IncidentState {
  const state = initialState(
    { dedupKey: 'k', service: 'checkout', scenario: 'health', severity, summary: 's', security: false },
    { incidentId: 'incident-1', workflowId: 'wf-1' },
    t0,
  );
  state.policy = toIncidentPolicy(config, 'checkout');
  configs.set(state, config);
  openStoreLane(state);
  state.policy.service.healthUrls = [];
  state.policy.runbook = null;
  state.nextEscalationAt = firstRungDue(state, t0);
  state.nextStatusUpdateAt = statusUpdateFrom(state, t0);
  return state;
}

export type ModelMessage =
  | { kind: 'command'; name: CommandName; args: unknown; update: boolean }
  | { kind: 'alert'; payload: unknown }
  | { kind: 'runbookReport'; payload: unknown }
  | { kind: 'cancel' };

/** Delivers a message as the workflow's handlers do; answers the Update's refusal, if any. */
export function deliver(state: IncidentState, message: ModelMessage, now: number): string | null {
  switch (message.kind) {
    case 'command': {
      const args = message.args as Parameters<typeof refusal>[2];
      const why = refusal(state, message.name, args);
      // A command the run does not take (snooze below revision 6): its Signal changes nothing at all.
      if (!commandTaken(state, message.name)) return why;
      if (why && !message.update) recordIgnored(state, message.name, args, why, now);
      if (!why) apply(state, message.name, args, now);
      return why;
    }
    case 'alert':
      ingestAlerts(state, (message.payload as { alerts?: unknown } | null)?.alerts, now);
      return null;
    case 'runbookReport':
      onRunbookReport(state, message.payload);
      return null;
    case 'cancel':
      requestCancel(state, 'Temporal', 'cancellation requested');
      return null;
  }
}

/**
 * Runs the loop at `now` until it waits (or completes); every page it sends is pushed to `pages`. Throws
 * when an invariant breaks or the loop does not settle.
 */
export function drain(state: IncidentState, now: number, pages: ModelPage[]): Effect {
  for (let i = 0; i < MAX_EFFECTS_PER_DRAIN; i++) {
    const effect = decide(state, now, RUN);
    const broken = invariantViolations(state, effect, now);
    if (broken.length)
      throw new Error(`invariant broken at ${new Date(now).toISOString()}: ${broken.join('; ')}`);
    if (effect.kind === 'wait' || effect.kind === 'complete') return effect;
    carryOut(state, effect, now, pages);
  }
  throw new Error(`the loop did not settle within ${MAX_EFFECTS_PER_DRAIN} effects: it spins`);
}

function page(state: IncidentState, level: number, reason: string, now: number, pages: ModelPage[]) {
  state.pageSeq += 1;
  const at = new Date(now).toISOString();
  state.paged.push({
    at,
    level,
    levelName: `level ${level}`,
    contactIds: [],
    contacts: [],
    channel: 'page',
    reason,
    delivered: true,
    seq: state.pageSeq,
  });
  pages.push({ at: now, level, reason });
  // Revision 9: the model's person has rules asking for two follow-ups (`follow-ups.ts` keeps them).
  const record = state.paged.at(-1)!;
  scheduleFollowUps(
    state,
    { ...record, contactIds: [MODEL_PERSON], contacts: [MODEL_PERSON] },
    {
      delivered: true,
      detail: 'delivered',
      followUps: MODEL_FOLLOW_UPS.map((f, rule) => ({ contactId: MODEL_PERSON, rule, ...f })),
    },
  );
}

function carryOut(state: IncidentState, effect: Effect, now: number, pages: ModelPage[]): void {
  switch (effect.kind) {
    case 'page':
    case 'escalate-now': {
      if (effect.kind === 'escalate-now') state.pendingEscalations.shift();
      const [step, reason, dueAt] =
        effect.kind === 'page'
          ? [effect.rung.step, effect.rung.reason, effect.rung.dueAt]
          : [state.ladderStep, effect.reason, now];
      const at = advanceLadder(state, step, dueAt, now);
      if (at) page(state, at.level, reason, now, pages);
      noteLadderEnd(state, now);
      return;
    }
    case 're-alert': {
      const { level, reason } = beginReAlert(state, now);
      page(state, level, reason, now, pages);
      state.nextEscalationAt = rungAfter(state, state.ladderStep - 1, now);
      noteLadderEnd(state, now);
      return;
    }
    case 'page-owed': {
      const owed = state.pagesOwed!.shift()!;
      return page(state, owed.level, owed.reason, now, pages);
    }
    case 'raise-severity':
      return raiseFromAlert(state, now);
    case 'ladder-end':
      state.nextEscalationAt = null;
      return noteLadderEnd(state, now);
    case 'responder':
      if (effect.action === 'plan') {
        const { target } = state.responders![effect.index];
        const plan = toResponderPlan(configs.get(state)!, target, state.input.severity);
        return responderPlanned(state, effect.index, plan, now);
      }
      if (effect.action === 'end') return responderRanOut(state, effect.index, now);
      return page(state, RESPONDER_LEVEL, takeResponderPage(state, effect.index, now).reason, now, pages);
    case 'after-hours':
      return deferToBusinessHours(state, effect.until, effect.why, now);
    case 'follow-up': {
      // Revision 9: a person's rule's later channel, delivered when still wanted (`run-follow-up.ts`).
      const f = state.followUps!.shift()!;
      if (stillWanted(state, f))
        pages.push({ at: now, level: FOLLOW_UP_LEVEL, reason: `${f.channel} to ${f.contactId}` });
      return;
    }
    case 'merge':
      // An incident id with "gone" in it stands for one that is closed or does not exist.
      return merged(
        state,
        state.pendingMerge!.into.includes('gone') ? 'no open incident took it' : null,
        now,
      );
    case 'forward':
      state.mergedInto!.forward.splice(0);
      return;
    case 'open-anew':
      throw new Error('the model does not reach open-anew (its incident never closes)');
    case 'reassign':
      return reassigned(state, toTeamPolicy(configs.get(state)!, state.pendingReassign!.team), now);
    case 'cancel':
      return beginCancel(state, now);
    case 'reopen':
      return reopen(state, effect.reason, now);
    case 'opening':
      state.opening.shift();
      if (effect.task === 'ticket') state.ticketOpened = true;
      if (effect.task === 'security' || effect.task === 'management')
        page(state, effect.task === 'security' ? -1 : -2, effect.task, now, pages);
      return;
    case 'pagerduty-ack':
      state.pendingPagerDutyAck = false;
      return;
    case 'forward-approval':
      state.approvalForwards.shift();
      return;
    case 'forward-severity':
      state.runbookSeverityChanged = false;
      return;
    case 'runbook-ended':
      state.runbookOutcome = null;
      return;
    case 'verify-resolve': {
      const { by, summary } = state.pendingResolve!;
      state.pendingResolve = null;
      if (state.status === 'monitoring' || state.status === 'resolved') return;
      state.status = 'monitoring';
      state.resolvedBy = by;
      state.resolutionSummary = summary;
      stopClocks(state);
      // No health URLs: closed on the responder's word, as the workflow does.
      return beginClose(state, 'no health endpoints to watch', now);
    }
    case 'watch-check':
      state.watch = null;
      return;
    case 'status-update':
      state.nextStatusUpdateAt = statusUpdateAfter(state, effect.dueAt, now);
      return;
    case 'write-journal': {
      const n = state.journalQueue?.splice(0).length ?? 0;
      state.journaled = (state.journaled ?? 0) + n;
      return;
    }
    case 'closing':
      state.closing!.shift();
      return;
    case 'slack':
      nextSlackItem(state);
      return;
    case 'store':
    case 'store-here':
      // The store always answers here (the lane's failures are the workflow tests' business).
      takeStoreWrite(state);
      return storeWritten(state);
    case 'load-policy':
    case 'maintenance-check':
    case 'close-suppressed':
    case 'continue-as-new':
      throw new Error(`the model does not reach ${effect.kind}`);
  }
}
