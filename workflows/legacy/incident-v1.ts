/**
 * FROZEN: the incident workflow as it ran before the state machine (`workflows/incident/`).
 *
 * - Pinned by: the `incident-state-machine` patch (`STATE_MACHINE_PATCH`, asked first in
 *   `workflows/incident/index.ts`): a run without its marker started here and replays and finishes here.
 * - Replayed by: `test/histories/{p1-acknowledged-resolved,p1-unacknowledged-ladder,
 *   p2-severity-escalate-alerts,p3-ticket}.json` (recorded before the patch; `test/workflow/replay.test.ts`).
 * - Can go when this shows no run (legacy runs ask no patch, so they have no `TemporalChangeVersion`):
 *   `temporal workflow list --query "WorkflowType='incidentWorkflow' AND ExecutionStatus='Running' AND
 *   TemporalChangeVersion IS NULL"`. Then delete this file and those histories, and deprecate the patch.
 *
 * Change nothing here but what keeps its command sequence identical. It is over the 400-line limit for
 * product files on purpose: splitting its one function would be an edit to code that must not change.
 */
import {
  ParentClosePolicy,
  type ChildWorkflowHandle,
  condition,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { DeliveryResult, IncidentActivities, SlackThreadRef } from '../../activities/contract';
import {
  SIGNAL_DESCRIPTIONS,
  acknowledgeSignal,
  addNoteSignal,
  alertSignal,
  approveSignal,
  escalateSignal,
  rejectSignal,
  resolveSignal,
  reviewScheduledSignal,
  runbookReportSignal,
  setSeveritySignal,
  statusQuery,
  type ApproveArgs,
  type RejectArgs,
  type ResolveArgs,
} from '../../domain/messages';
import {
  allAlertsResolved,
  earliest,
  escalationReason,
  escalationStep,
  formatElapsed,
  isSourceAlert,
  mergeAlerts,
  normalizeIncidentInput,
  pagedAlerts,
  parseSeverity,
  whyIgnored,
  type IncidentPolicy,
} from '../../domain/policy';
import { incidentLabel, openMessage, reviewMarkdown, statusUpdateMessage } from '../../domain/render';
import { reviewReminderWorkflow } from '../incident/review-reminder';
import { runbookWorkflow, type RunbookOutcome } from './runbook-built-in';
import {
  IncidentScenarioKey,
  IncidentServiceKey,
  IncidentSeverityKey,
  IncidentStatusKey,
} from '../../domain/search-attributes';
import type {
  IncidentInput,
  IncidentStatus,
  IncidentStatusView,
  PageRecord,
  TimelineType,
} from '../../domain/types';

const RETRY = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' } as const;

// Notifications give up after a bounded number of tries so a dead SaaS can't stall the escalation ladder.
const notify = proxyActivities<IncidentActivities>({
  startToCloseTimeout: '30s',
  retry: { ...RETRY, maximumAttempts: 8 },
});
// Reading config, checking health and writing the review are local and must eventually succeed.
const local = proxyActivities<IncidentActivities>({
  startToCloseTimeout: '1m',
  retry: { ...RETRY, maximumInterval: '30s' },
});

export interface LegacyIncidentOutcome {
  incidentId: string;
  status: IncidentStatus;
  resolvedAt: string | null;
  reviewPath: string | null;
}

function actorOf(args: unknown): string {
  const by = (args as { by?: unknown } | undefined)?.by;
  return typeof by === 'string' && by.trim() ? by.trim().slice(0, 200) : 'unknown';
}

function describeError(err: unknown): string {
  const cause = (err as { cause?: { message?: string } }).cause;
  return cause?.message ?? (err as Error).message ?? String(err);
}

export async function legacyIncidentWorkflow(rawInput: IncidentInput): Promise<LegacyIncidentOutcome> {
  const { input, problems } = normalizeIncidentInput(rawInput);
  const info = workflowInfo();
  const createdAt = Date.now();
  const incidentId = `${info.workflowId}-${info.runId.slice(0, 8)}`;
  const view: IncidentStatusView = {
    incidentId,
    workflowId: info.workflowId,
    dedupKey: input.dedupKey,
    service: input.service,
    scenario: input.scenario,
    severity: input.severity,
    summary: input.summary,
    security: input.security,
    status: 'triggered',
    createdAt: new Date(createdAt).toISOString(),
    acknowledgedAt: null,
    acknowledgedBy: null,
    resolvedAt: null,
    resolvedBy: null,
    resolutionSummary: null,
    escalationLevel: -1,
    ladderRound: 0,
    paged: [],
    nextEscalationAt: null,
    nextStatusUpdateAt: null,
    alerts: [],
    pendingApprovals: [],
    reviewPath: null,
    timeline: [],
  };

  // Messages for the Slack thread, queued by handlers and flushed by the loop.
  const outbox: string[] = [];
  let wake = 0;
  const poke = () => void wake++;
  const record = (type: TimelineType, message: string, actor?: string, announce = true) => {
    view.timeline.push({ at: new Date().toISOString(), type, ...(actor ? { actor } : {}), message });
    if (announce) outbox.push(`${message}${actor ? ` (${actor})` : ''}`);
  };
  // First in the timeline: signals buffered with the start are delivered as soon as handlers are set.
  record(
    'opened',
    `incident opened: ${view.summary} (${view.severity}, ${view.service}, ${view.scenario})`,
    undefined,
    false,
  );
  for (const problem of problems) record('error', `start input: ${problem}`, undefined, false);
  const ignore = (signal: string, actor: string, why: string) =>
    record('ignored', `ignored ${signal}: ${why}`, actor, false);

  let nextEscalationAt = null as number | null;
  let nextStatusUpdateAt = null as number | null;
  let nextHealthCheckAt = null as number | null;
  let watchEndsAt = null as number | null;
  let ladderStep = 0;
  let pendingResolve = null as (ResolveArgs & { by: string }) | null;
  let pendingEscalations: string[] = [];
  let pendingSeverityChange = false;
  let pendingAckUpdate = false;
  let pendingRelapse = null as string | null;
  let reviewScheduledBy = null as string | null;
  let closedWithoutWatch = false;
  let runbook = null as ChildWorkflowHandle<typeof runbookWorkflow> | null;
  let runbookOutcome = null as RunbookOutcome | string | null;
  const approvalRequests: { step: string; text: string }[] = [];
  const approvalForwards: ({ kind: 'approve'; args: ApproveArgs } | { kind: 'reject'; args: RejectArgs })[] =
    [];

  const ingestAlerts = (alerts: IncidentInput['alerts']) => {
    if (!alerts?.length) return;
    const { alerts: merged, changes } = mergeAlerts(view.alerts, alerts);
    view.alerts = merged;
    for (const { alert, change } of changes) {
      if (change === 'repeat') continue; // resends are expected; the alert list already shows them
      record(
        'alert',
        `alert ${change}: ${alert.summary} [${alert.fingerprint}]`,
        alert.source,
        change !== 'new',
      );
      if (change === 'refired' && view.status === 'monitoring')
        pendingRelapse = `alert fired again: ${alert.summary}`;
    }
    if (allAlertsResolved(view.alerts) && !pendingResolve && !whyIgnored('resolve', view.status))
      pendingResolve = { by: 'alerts', summary: 'every source alert resolved' };
    poke();
  };

  setHandler(
    acknowledgeSignal,
    (args) => {
      const by = actorOf(args);
      const why = whyIgnored('acknowledge', view.status);
      if (why) return ignore('acknowledge', by, why);
      view.status = 'acknowledged';
      view.acknowledgedAt = new Date().toISOString();
      view.acknowledgedBy = by;
      nextEscalationAt = null;
      pendingAckUpdate = true;
      record(
        'acknowledged',
        `acknowledged at +${formatElapsed(Date.now() - createdAt)}; escalation stopped`,
        by,
      );
      poke();
    },
    { description: SIGNAL_DESCRIPTIONS.acknowledge },
  );
  setHandler(
    resolveSignal,
    (args) => {
      const by = actorOf(args);
      const why = whyIgnored('resolve', view.status);
      if (why) return ignore('resolve', by, why);
      const summary = typeof args?.summary === 'string' ? args.summary.slice(0, 2000) : undefined;
      pendingResolve = { by, summary };
      poke();
    },
    { description: SIGNAL_DESCRIPTIONS.resolve },
  );
  setHandler(
    escalateSignal,
    (args) => {
      const by = actorOf(args);
      const why = whyIgnored('escalate', view.status);
      if (why) return ignore('escalate', by, why);
      const reason = typeof args?.reason === 'string' && args.reason ? args.reason : 'manual escalation';
      pendingEscalations = [...pendingEscalations, `${reason} (requested by ${by})`];
      poke();
    },
    { description: SIGNAL_DESCRIPTIONS.escalate },
  );
  setHandler(
    addNoteSignal,
    (args) => {
      const by = actorOf(args);
      if (typeof args?.text !== 'string' || !args.text.trim()) return ignore('addNote', by, 'missing "text"');
      record('note', args.text.trim().slice(0, 4000), by);
      poke();
    },
    { description: SIGNAL_DESCRIPTIONS.addNote },
  );
  setHandler(
    setSeveritySignal,
    (args) => {
      const by = actorOf(args);
      const severity = parseSeverity(args?.severity);
      if (!severity)
        return ignore('setSeverity', by, `unknown severity ${JSON.stringify(args?.severity ?? null)}`);
      const why = whyIgnored('setSeverity', view.status);
      if (why) return ignore('setSeverity', by, why);
      if (severity === view.severity) return ignore('setSeverity', by, `severity is already ${severity}`);
      record('severity', `severity changed ${view.severity} → ${severity}; response clock restarted`, by);
      view.severity = severity;
      pendingSeverityChange = true;
      poke();
    },
    { description: SIGNAL_DESCRIPTIONS.setSeverity },
  );
  const forwardDecision = (kind: 'approve' | 'reject', args: ApproveArgs | RejectArgs | undefined) => {
    const by = actorOf(args);
    const step = typeof args?.step === 'string' ? args.step : '';
    if (!view.pendingApprovals.some((p) => p.step === step))
      return ignore(kind, by, `no step ${JSON.stringify(args?.step ?? null)} is waiting for approval`);
    const reason =
      kind === 'reject' && typeof (args as RejectArgs).reason === 'string'
        ? (args as RejectArgs).reason
        : undefined;
    approvalForwards.push(
      kind === 'approve'
        ? { kind, args: { by, step } }
        : { kind, args: { by, step, ...(reason ? { reason } : {}) } },
    );
    poke();
  };
  setHandler(approveSignal, (args) => forwardDecision('approve', args), {
    description: SIGNAL_DESCRIPTIONS.approve,
  });
  setHandler(rejectSignal, (args) => forwardDecision('reject', args), {
    description: SIGNAL_DESCRIPTIONS.reject,
  });
  setHandler(
    runbookReportSignal,
    (r) => {
      const evidence = r.evidence?.length ? `\n${r.evidence.map((l) => `    > ${l}`).join('\n')}` : '';
      if (r.kind === 'finding') record('finding', `${r.message}${evidence}`);
      else if (r.kind === 'action') {
        record('action', r.message);
        if (r.phase === 'begin' && view.status === 'acknowledged') view.status = 'mitigating';
        if (r.phase === 'end' && view.status === 'mitigating') view.status = 'acknowledged';
      } else if (r.kind === 'proposal' && r.step) {
        view.pendingApprovals = [
          ...view.pendingApprovals.filter((p) => p.step !== r.step),
          { step: r.step, proposal: r.message, requestedAt: new Date().toISOString() },
        ];
        record('approval', `approval needed for "${r.step}": ${r.message}`, undefined, false);
        approvalRequests.push({
          step: r.step,
          text: `:raised_hand: *Approval needed* for \`${r.step}\` on ${incidentId}: ${r.message}\nApprove: signal \`approve\` {"by": "<you>", "step": "${r.step}"} — or \`reject\` with a reason.`,
        });
      } else if (r.kind === 'decision') {
        view.pendingApprovals = view.pendingApprovals.filter((p) => p.step !== r.step);
        record('approval', r.message);
      } else if (r.kind === 'escalate') {
        record('escalated', `runbook escalates: ${r.message}`);
        if (!whyIgnored('escalate', view.status))
          pendingEscalations = [...pendingEscalations, `runbook: ${r.message}`];
      }
      poke();
    },
    { description: SIGNAL_DESCRIPTIONS.runbookReport },
  );
  setHandler(
    reviewScheduledSignal,
    (args) => {
      reviewScheduledBy = actorOf(args);
      record('review', 'post-incident review scheduled', reviewScheduledBy);
    },
    { description: SIGNAL_DESCRIPTIONS.reviewScheduled },
  );
  setHandler(
    alertSignal,
    (args) => ingestAlerts(Array.isArray(args?.alerts) ? args.alerts.filter(isSourceAlert) : []),
    {
      description: SIGNAL_DESCRIPTIONS.alert,
    },
  );
  setHandler(statusQuery, () => statusSnapshot(), { description: SIGNAL_DESCRIPTIONS.status });

  const syncVisibility = () => {
    upsertSearchAttributes([
      { key: IncidentSeverityKey, value: view.severity },
      { key: IncidentServiceKey, value: view.service },
      { key: IncidentScenarioKey, value: view.scenario },
      { key: IncidentStatusKey, value: view.status },
    ]);
    const last = view.paged[view.paged.length - 1];
    setCurrentDetails(
      [
        `**${incidentLabel(view)}** — ${view.status}`,
        view.summary,
        view.acknowledgedBy ? `Acknowledged by ${view.acknowledgedBy} at ${view.acknowledgedAt}` : '',
        last ? `Last paged: ${last.levelName} (${last.contacts.join(', ')}) at ${last.at}` : '',
        nextEscalationAt !== null ? `Next escalation: ${new Date(nextEscalationAt).toISOString()}` : '',
      ]
        .filter(Boolean)
        .join('\n\n'),
    );
  };

  ingestAlerts(input.alerts);
  syncVisibility();
  const policy: IncidentPolicy = await local.loadIncidentPolicy({ service: input.service });
  const rule = () => policy.severity[view.severity];

  let thread: SlackThreadRef | null = null;
  const deliver = async (what: string, send: () => Promise<DeliveryResult>): Promise<DeliveryResult> => {
    try {
      return await send();
    } catch (err) {
      const detail = `${what} failed: ${describeError(err)}`;
      record('error', detail, undefined, false);
      return { delivered: false, detail };
    }
  };
  const flushOutbox = async () => {
    while (outbox.length) {
      const text = outbox.shift() as string;
      await deliver('Slack update', () => notify.postThreadMessage({ incidentId, thread, text }));
    }
  };

  /** Pages the next rung of the ladder; false once the ladder (and its repeats) is spent. */
  const pageNextLevel = async (reason?: string): Promise<boolean> => {
    const step = escalationStep(policy.ladder.length, policy.repeat, ladderStep);
    if (!step) {
      record(
        'escalated',
        `escalation ladder exhausted after ${view.paged.length} pages: nobody left to page`,
      );
      return false;
    }
    const level = policy.ladder[step.level];
    const channel = ladderStep === 0 && rule().notify === 'slack' ? 'slack' : 'page';
    const why = reason ?? escalationReason(ladderStep, level.name, rule().respondWithinMs, step.round);
    ladderStep += 1;
    view.escalationLevel = step.level;
    view.ladderRound = step.round;
    await pageContacts(step.level, level, channel, why);
    return true;
  };
  const pageContacts = async (
    levelIndex: number,
    level: IncidentPolicy['ladder'][number],
    channel: 'page' | 'slack',
    reason: string,
  ) => {
    const at = new Date().toISOString();
    // A key of its own per page: PagerDuty folds a trigger on an open key into that alert, silently.
    const dedupKey = `${incidentId}/page-${view.paged.length + 1}`;
    const result = await deliver(`paging ${level.name}`, () =>
      notify.pageContacts({
        incidentId,
        workflowId: info.workflowId,
        service: view.service,
        severity: view.severity,
        summary: view.summary,
        levelName: level.name,
        contactIds: level.contactIds,
        channel,
        reason,
        thread,
        dedupKey,
      }),
    );
    const page: PageRecord = {
      at,
      level: levelIndex,
      levelName: level.name,
      contactIds: level.contactIds,
      contacts: level.contactNames,
      channel,
      reason,
      delivered: result.delivered,
      ...(channel === 'page' ? { dedupKey } : {}),
    };
    view.paged.push(page);
    const verb = channel === 'page' ? 'paged' : 'notified via Slack';
    record(
      channel === 'page' ? 'page' : 'notified',
      `${verb} ${level.name} (${level.contactNames.join(', ')}): ${reason} — ${result.detail}`,
    );
    syncVisibility();
  };

  const timeEscalation = (from: number) => {
    const r = rule();
    if (view.status !== 'triggered' || r.notify === 'ticket') nextEscalationAt = null;
    else if (ladderStep === 0) nextEscalationAt = from;
    else nextEscalationAt = r.escalate ? from + r.respondWithinMs : null;
  };
  const timeStatusUpdates = (from: number) => {
    const every = rule().statusUpdateEveryMs;
    nextStatusUpdateAt =
      every && ['triggered', 'acknowledged', 'mitigating'].includes(view.status) ? from + every : null;
  };
  let ticketOpened = false;
  const openTicketIfDue = async () => {
    if (rule().notify !== 'ticket' || ticketOpened) return;
    ticketOpened = true;
    const result = policy.ticketsEnabled
      ? await deliver('ticket', () =>
          notify.createTicket({
            incidentId,
            service: view.service,
            severity: view.severity,
            summary: view.summary,
          }),
        )
      : { delivered: false, detail: 'no ticket system configured; recorded here for the next business day' };
    record('ticket', `ticket for the next business day: ${result.detail}`);
  };
  const statusPage = async (state: 'investigating' | 'monitoring' | 'resolved', message: string) => {
    if (!policy.service.customerFacing || !policy.statusPageEnabled) return;
    const result = await deliver('status page', () =>
      notify.updateStatusPage({ incidentId, service: view.service, state, message }),
    );
    record('status-page', `status page ${state}: ${result.detail}`);
  };

  // Opening: announce, then notify by the severity's policy.
  const firstLevel = policy.ladder[0];
  const firstPagePreview: PageRecord | null =
    rule().notify === 'ticket'
      ? null
      : {
          at: view.createdAt,
          level: 0,
          levelName: firstLevel.name,
          contactIds: firstLevel.contactIds,
          contacts: firstLevel.contactNames,
          channel: rule().notify === 'slack' ? 'slack' : 'page',
          reason: 'new incident',
          delivered: false,
        };
  thread = await notify
    .announceIncident({ incidentId, workflowId: info.workflowId, text: openMessage(view, firstPagePreview) })
    .catch((err) => {
      record('error', `Slack announcement failed: ${describeError(err)}`, undefined, false);
      return null;
    });
  outbox.length = 0; // the announcement already said all of it
  timeStatusUpdates(createdAt);
  if (rule().notify !== 'ticket' && view.status === 'triggered') await pageNextLevel();
  timeEscalation(createdAt);
  await openTicketIfDue();
  await statusPage('investigating', `We are investigating: ${view.summary}`);
  if (rule().notifyManagement && policy.management.contactIds.length)
    await pageContacts(-2, policy.management, 'slack', `${view.severity} incident: management notified`);
  if (view.security && policy.security.contactIds.length)
    await pageContacts(-1, policy.security, 'page', 'security incident: security team paged');

  if (policy.runbook) {
    const rb = policy.runbook;
    runbook = await startChild(runbookWorkflow, {
      workflowId: `${incidentId}-runbook`,
      args: [
        {
          incidentId,
          parentWorkflowId: info.workflowId,
          service: view.service,
          scenario: view.scenario,
          severity: view.severity,
          respondWithinMs: rule().respondWithinMs,
          dryRun: rb.dryRun,
          target: rb.target,
          settings: rb.settings,
        },
      ],
    });
    runbook.result().then(
      (outcome) => {
        runbookOutcome = outcome;
        poke();
      },
      (err) => {
        runbookOutcome = describeError(err);
        poke();
      },
    );
  }

  for (;;) {
    await flushOutbox();
    if (approvalRequests.length) {
      const request = approvalRequests.shift() as { step: string; text: string };
      await deliver('approval request', () =>
        notify.requestApproval({ incidentId, workflowId: info.workflowId, thread, ...request }),
      );
      continue;
    }
    if (approvalForwards.length && runbook) {
      const forward = approvalForwards.shift() as (typeof approvalForwards)[number];
      const child = runbook;
      await (
        forward.kind === 'approve'
          ? child.signal(approveSignal, forward.args)
          : child.signal(rejectSignal, forward.args)
      ).catch((err) =>
        record(
          'error',
          `could not pass ${forward.kind} to the runbook: ${describeError(err)}`,
          undefined,
          false,
        ),
      );
      continue;
    }
    if (runbookOutcome !== null) {
      const o = runbookOutcome;
      runbookOutcome = null;
      view.pendingApprovals = [];
      if (typeof o === 'string') record('runbook', `runbook failed: ${o}`);
      else
        record('runbook', `runbook ${o.scenario} finished: ${o.result} (cause: ${o.cause}) — ${o.summary}`);
      continue;
    }
    if (pendingAckUpdate) {
      pendingAckUpdate = false;
      syncVisibility();
      const alerts = pagedAlerts(view.paged, incidentId);
      if (alerts.length)
        await deliver('PagerDuty acknowledge', () =>
          notify.sendPagingUpdate({
            incidentId,
            action: 'acknowledge',
            contactIds: [...new Set(alerts.map((a) => a.contactId))],
            alerts,
          }),
        );
      continue;
    }
    if (pendingSeverityChange) {
      pendingSeverityChange = false;
      const now = Date.now();
      timeEscalation(now);
      timeStatusUpdates(now);
      syncVisibility();
      await openTicketIfDue();
      continue;
    }
    if (pendingEscalations.length) {
      const [reason, ...rest] = pendingEscalations;
      pendingEscalations = rest;
      const paged = await pageNextLevel(reason);
      if (paged && view.status === 'triggered' && rule().escalate)
        nextEscalationAt = Date.now() + rule().respondWithinMs;
      continue;
    }
    if (pendingRelapse !== null) {
      const reason = pendingRelapse;
      pendingRelapse = null;
      view.status = 'triggered';
      view.acknowledgedAt = null;
      view.acknowledgedBy = null;
      view.resolvedBy = null;
      watchEndsAt = null;
      nextHealthCheckAt = null;
      ladderStep = 0;
      record('reopened', `incident reopened: ${reason}; escalation restarted`);
      const now = Date.now();
      timeEscalation(now);
      timeStatusUpdates(now);
      syncVisibility();
      await statusPage('investigating', `The issue has returned: ${view.summary}`);
      continue;
    }
    if (pendingResolve) {
      const { by, summary } = pendingResolve;
      pendingResolve = null;
      if (view.status === 'monitoring' || view.status === 'resolved') continue;
      view.status = 'monitoring';
      view.resolvedBy = by;
      view.resolutionSummary = summary ?? null;
      nextEscalationAt = null;
      nextStatusUpdateAt = null;
      record(
        'monitoring',
        `resolve requested${summary ? `: ${summary}` : ''}; verifying health, then watching for ${formatElapsed(policy.stabilityWatchMs)}`,
        by,
      );
      syncVisibility();
      const health = await local.checkServiceHealth({ urls: policy.service.healthUrls });
      record('health', `health verification: ${healthSummary(health)}`);
      if (!health.healthy) {
        pendingRelapse = `health verification failed after resolve`;
        continue;
      }
      if (!policy.service.healthUrls.length) {
        // Nothing to watch: close on the responder's word (alerts that fire again open a new incident).
        closedWithoutWatch = true;
        break;
      }
      watchEndsAt = Date.now() + policy.stabilityWatchMs;
      nextHealthCheckAt = Math.min(Date.now() + policy.checkEveryMs, watchEndsAt);
      await statusPage('monitoring', `A fix has been applied and we are monitoring: ${view.summary}`);
      continue;
    }

    const now = Date.now();
    if (view.status === 'triggered' && nextEscalationAt !== null && now >= nextEscalationAt) {
      const due: number = nextEscalationAt;
      const paged = await pageNextLevel();
      // Anchored to when the page was due, not when it finished, so the ladder never drifts.
      nextEscalationAt =
        paged && rule().escalate && view.status === 'triggered' ? due + rule().respondWithinMs : null;
      syncVisibility();
      continue;
    }
    if (nextStatusUpdateAt !== null && now >= nextStatusUpdateAt) {
      const every = rule().statusUpdateEveryMs ?? 1_800_000;
      nextStatusUpdateAt += every;
      const text = statusUpdateMessage(statusSnapshot(), formatElapsed(every));
      await deliver('status update', () => notify.postThreadMessage({ incidentId, thread, text }));
      record('status-update', `status update posted (${view.status})`, undefined, false);
      continue;
    }
    if (view.status === 'monitoring' && nextHealthCheckAt !== null && now >= nextHealthCheckAt) {
      const health = await local.checkServiceHealth({ urls: policy.service.healthUrls });
      if (!health.healthy) {
        record('health', `health check failed during the stability watch: ${healthSummary(health)}`);
        pendingRelapse = 'health check failed during the stability watch';
        continue;
      }
      if (watchEndsAt !== null && Date.now() >= watchEndsAt) break;
      nextHealthCheckAt = Math.min(Date.now() + policy.checkEveryMs, watchEndsAt ?? Date.now());
      continue;
    }

    const deadline = earliest(
      view.status === 'triggered' ? nextEscalationAt : null,
      nextStatusUpdateAt,
      view.status === 'monitoring' ? nextHealthCheckAt : null,
    );
    const seen = wake;
    if (deadline === null) await condition(() => wake !== seen);
    else if (deadline > Date.now()) await condition(() => wake !== seen, deadline - Date.now());
  }

  // Closed: stable for the whole watch.
  view.status = 'resolved';
  view.resolvedAt = new Date().toISOString();
  const how = closedWithoutWatch
    ? 'no health endpoints to watch'
    : `stable for ${formatElapsed(policy.stabilityWatchMs)}`;
  record(
    'resolved',
    `resolved: ${how}; time to resolve ${formatElapsed(Date.now() - createdAt)}`,
    view.resolvedBy ?? undefined,
  );
  syncVisibility();
  await flushOutbox();
  const pagedAlertsToResolve = pagedAlerts(view.paged, incidentId);
  if (pagedAlertsToResolve.length)
    await deliver('PagerDuty resolve', () =>
      notify.sendPagingUpdate({
        incidentId,
        action: 'resolve',
        contactIds: [...new Set(pagedAlertsToResolve.map((a) => a.contactId))],
        alerts: pagedAlertsToResolve,
      }),
    );
  await statusPage('resolved', `This incident has been resolved: ${view.summary}`);
  const review = await local.writeReview({
    incidentId,
    directory: policy.reviewDirectory,
    markdown: reviewMarkdown(statusSnapshot()),
  });
  view.reviewPath = review.path;
  record('review', `post-incident review written: ${review.path}`);
  await flushOutbox();
  if (!reviewScheduledBy) {
    await startChild(reviewReminderWorkflow, {
      workflowId: `${incidentId}-review`,
      args: [{ incidentId, reviewPath: review.path, thread, remindAfterMs: policy.reviewReminderAfterMs }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
    });
  }
  return { incidentId, status: view.status, resolvedAt: view.resolvedAt, reviewPath: view.reviewPath };

  function statusSnapshot(): IncidentStatusView {
    return {
      ...view,
      nextEscalationAt: nextEscalationAt === null ? null : new Date(nextEscalationAt).toISOString(),
      nextStatusUpdateAt: nextStatusUpdateAt === null ? null : new Date(nextStatusUpdateAt).toISOString(),
    };
  }
}

function healthSummary(health: {
  healthy: boolean;
  checks: { url: string; ok: boolean; detail: string }[];
}): string {
  if (!health.checks.length) return 'no health endpoints configured for this service';
  return `${health.healthy ? 'healthy' : 'failing'} — ${health.checks.map((c) => `${c.url} ${c.detail}`).join('; ')}`;
}
