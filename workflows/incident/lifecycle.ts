/**
 * Pure changes of the incident's state around its response: the policy taken and the opening it implies,
 * a maintenance suppression and its end, the resolve's health verification and the stability watch, the
 * runbook's end, status updates and the Slack lane (its next post, a notice's outcome). No activity calls;
 * `now` is passed in.
 */
import type { DeliveryResult, HealthCheckResult } from '../../activities/contract';
import type { MaintenanceWindow } from '../../domain/messages';
import { formatElapsed, type IncidentPolicy } from '../../domain/policy';
import { openMessage, statusUpdateMessage } from '../../domain/render';
import { ackExpiry, firstRungDue, severityRule, statusUpdateAfter, statusUpdateFrom } from './ladder';
import {
  RESOLVED_IN_MAINTENANCE,
  queuePage,
  record,
  stopClocks,
  type IncidentState,
  type SlackItem,
} from './state';
import { openStoreLane } from './store-lane';
import { toView } from './view';
import { beginClose, revisionAtLeast } from './transitions';

/** The health checks in one line for the timeline. */
export function healthSummary(health: {
  healthy: boolean;
  checks: { url: string; detail: string }[];
}): string {
  if (!health.checks.length) return 'no health endpoints configured for this service';
  return `${health.healthy ? 'healthy' : 'failing'} — ${health.checks.map((c) => `${c.url} ${c.detail}`).join('; ')}`;
}

/** What opening the incident involves, in order, by its severity rule and policy. */
export function openingTasks(state: IncidentState): IncidentState['opening'] {
  const policy = state.policy!;
  const rule = severityRule(state)!;
  return [
    ...(state.input.security && policy.security.contactIds.length ? (['security'] as const) : []),
    'announce',
    ...(rule.notify === 'ticket' ? (['ticket'] as const) : []),
    'status-page',
    ...(rule.notifyManagement && policy.management.contactIds.length ? (['management'] as const) : []),
    ...(policy.runbook ? (['runbook'] as const) : []),
  ];
}

/** Opened (or still) inside a maintenance window: no page, no runbook, no post until it ends. */
export function suppress(state: IncidentState, window: MaintenanceWindow, now: number): void {
  const already = state.status === 'suppressed' && state.suppressedUntil === window.to;
  state.status = 'suppressed';
  state.suppressedUntil = window.to;
  const every = state.policy?.maintenanceCheckEveryMs ?? 300_000;
  state.maintenanceCheckAt = Math.min(window.to, now + every);
  state.nextEscalationAt = null;
  state.nextStatusUpdateAt = null;
  state.opening = [];
  if (already) return;
  record(
    state,
    now,
    'note',
    `suppressed: ${state.input.service} is in maintenance until ${new Date(window.to).toISOString()} (${window.reason ?? 'no reason given'}, by ${window.by}); it opens then if the alert still fires`,
    { announce: false },
  );
}

/** The next Slack call of the lane, taken from the queue (or the outbox as one batched post). */
export function nextSlackItem(state: IncidentState): SlackItem | null {
  const queued = state.slackQueue.shift();
  if (queued) return queued;
  if (!state.outbox.length) return null;
  const lines: string[] = [];
  let size = 0;
  // One post for everything that piled up, within Slack's comfortable message size.
  while (state.outbox.length && (lines.length === 0 || size + state.outbox[0].length < 3500)) {
    const line = state.outbox.shift()!;
    size += line.length + 1;
    lines.push(line);
  }
  if (state.outboxDropped) {
    lines.push(`(${state.outboxDropped} older updates were not posted while Slack was unreachable)`);
    state.outboxDropped = 0;
  }
  return { kind: 'thread', text: lines.join('\n') };
}

/** A Slack notice nobody received must not leave the level unwarned (revision 2): it is paged instead. */
export function pageInstead(state: IncidentState, item: Extract<SlackItem, { kind: 'notice' }>, why: string) {
  const page = state.paged.find((p) => p.seq === item.pageSeq);
  if (!page || page.level < 0 || !revisionAtLeast(state, 2)) return;
  const reason = `the Slack notice to ${item.levelName} failed (${why.slice(0, 200)}): paging instead`;
  (state.pagesOwed ??= []).push({ level: page.level, reason });
}

/** Maintenance is over and the alert still fires: the incident opens now, with its ladder from now. */
export function openAfterMaintenance(state: IncidentState, now: number): void {
  state.status = 'triggered';
  state.suppressedUntil = null;
  state.maintenanceCheckAt = null;
  record(state, now, 'reopened', 'maintenance is over and the alert still fires: the incident opens now');
  state.nextEscalationAt = firstRungDue(state, now);
  state.nextStatusUpdateAt = statusUpdateFrom(state, now);
  state.opening = openingTasks(state);
}

/** Resolved while still suppressed: closed quietly, since nothing was announced, paged or opened. */
export function closeSuppressed(state: IncidentState, now: number): void {
  const { by, summary } = state.pendingResolve!;
  state.pendingResolve = null;
  state.status = 'resolved';
  state.resolvedAt = now;
  state.resolvedBy = by;
  state.resolutionSummary = summary;
  state.suppressedUntil = null;
  state.maintenanceCheckAt = null;
  record(state, now, 'resolved', `${RESOLVED_IN_MAINTENANCE} (${summary ?? by}): nobody was paged`, {
    announce: false,
  });
  // Nothing was announced, paged or opened: nothing to post, resolve or review.
  state.outbox.length = 0;
  state.slackQueue.length = 0;
  state.closing = [];
}

/** The runbook child ended (or confirmed the stop the close asked for): people own the incident again. */
export function runbookEnded(state: IncidentState, now: number): void {
  const outcome = state.runbookOutcome!;
  state.runbookOutcome = null;
  // Stopped by the close: the end was recorded then, and this is the child confirming it.
  const stopped = !state.runbook?.running;
  state.pendingApprovals = [];
  if (state.runbook) state.runbook.running = false;
  if ('failed' in outcome && stopped) record(state, now, 'runbook', `runbook ended: ${outcome.failed}`);
  else if ('failed' in outcome) record(state, now, 'runbook', `runbook failed: ${outcome.failed}`);
  else
    record(
      state,
      now,
      'runbook',
      `runbook ${outcome.scenario} finished: ${outcome.result} (cause: ${outcome.cause}) — ${outcome.summary}`,
    );
  // A runbook that ends (mitigated, escalated or failed) no longer acts: people own it again.
  if (state.status === 'mitigating') state.status = 'acknowledged';
}

/** The periodic status update is due: queued for the thread, and the next one timed from when it was due. */
export function queueStatusUpdate(state: IncidentState, dueAt: number, now: number): void {
  const every = severityRule(state)?.statusUpdateEveryMs ?? 1_800_000;
  state.nextStatusUpdateAt = statusUpdateAfter(state, dueAt, now);
  state.slackQueue.push({ kind: 'thread', text: statusUpdateMessage(toView(state), formatElapsed(every)) });
  record(state, now, 'status-update', `status update posted (${state.status})`, { announce: false });
}

/**
 * The service's policy, read. Anyone who can reach Temporal may name any scenario: one that is neither built
 * in nor defined runs the health runbook, and the timeline says why (as for the other start fields).
 */
export function adoptPolicy(state: IncidentState, policy: IncidentPolicy, now: number): void {
  state.policy = policy;
  openStoreLane(state);
  if (policy.knownScenario !== false) return;
  record(state, now, 'error', `start input: scenario "${state.input.scenario}" is unknown: using "health"`, {
    announce: false,
  });
  state.input = { ...state.input, scenario: 'health' };
}

/** Not in maintenance: the ladder and the status updates run from the incident's creation, and it opens. */
export function beginResponse(state: IncidentState, now: number): void {
  state.nextEscalationAt = firstRungDue(state, state.createdAt);
  state.nextStatusUpdateAt = statusUpdateFrom(state, state.createdAt);
  if (state.status === 'acknowledged') state.ackExpiresAt = ackExpiry(state, state.acknowledgedAt ?? now);
  state.opening = openingTasks(state);
}

/** The announcement, first in the Slack lane; it says who was paged, so the thread need not repeat it. */
export function queueAnnouncement(state: IncidentState): void {
  const first = state.paged.find((p) => p.level >= 0) ?? null;
  state.slackQueue.unshift({ kind: 'announce', text: openMessage(toView(state), first) });
  state.outbox.length = 0;
}

/** Whether a ticket is still to be opened (at most one per incident): taken now if so. */
export function takeTicket(state: IncidentState): boolean {
  if (state.ticketOpened) return false;
  state.ticketOpened = true;
  return true;
}

/** A resolve asked for: the clocks stop while health is verified. False when it is already under way. */
export function beginMonitoring(state: IncidentState, now: number): boolean {
  const { by, summary } = state.pendingResolve!;
  state.pendingResolve = null;
  if (state.status === 'monitoring' || state.status === 'resolved') return false;
  state.status = 'monitoring';
  state.resolvedBy = by;
  state.resolutionSummary = summary;
  stopClocks(state);
  record(
    state,
    now,
    'monitoring',
    `resolve requested${summary ? `: ${summary}` : ''}; verifying health, then watching for ${formatElapsed(state.policy!.stabilityWatchMs)}`,
    { actor: by },
  );
  return true;
}

/**
 * The resolve's health verification: failing, the incident relapses; with nothing to watch it closes on the
 * responder's word (alerts that fire again reopen or open anew); else the stability watch begins: true.
 */
export function healthVerified(state: IncidentState, health: HealthCheckResult, now: number): boolean {
  const policy = state.policy!;
  record(state, now, 'health', `health verification: ${healthSummary(health)}`);
  if (!health.healthy) {
    state.pendingRelapse = 'health verification failed after resolve';
    return false;
  }
  if (!policy.service.healthUrls.length) {
    beginClose(state, 'no health endpoints to watch', now);
    return false;
  }
  state.watch = {
    endsAt: now + policy.stabilityWatchMs,
    nextCheckAt: now + Math.min(policy.checkEveryMs, policy.stabilityWatchMs),
  };
  return true;
}

/** One check of the stability watch: a failure relapses; past the watch's end the incident is stable. */
export function watchChecked(
  state: IncidentState,
  health: HealthCheckResult,
  now: number,
): 'relapse' | 'stable' | 'watching' {
  if (!health.healthy) {
    record(state, now, 'health', `health check failed during the stability watch: ${healthSummary(health)}`);
    state.pendingRelapse = 'health check failed during the stability watch';
    return 'relapse';
  }
  const watch = state.watch!;
  if (now >= watch.endsAt) return 'stable';
  watch.nextCheckAt = Math.min(now + state.policy!.checkEveryMs, watch.endsAt);
  return 'watching';
}

/** A Slack notice's outcome on its page; one nobody received is paged instead. */
export function noticeSent(
  state: IncidentState,
  item: Extract<SlackItem, { kind: 'notice' }>,
  result: DeliveryResult,
  now: number,
): void {
  const page = state.paged.find((p) => p.seq === item.pageSeq);
  if (page) {
    page.delivered = result.delivered;
    queuePage(state, page);
  }
  const names = page?.contacts.join(', ') ?? item.levelName;
  record(
    state,
    now,
    'notified',
    `notified via Slack ${item.levelName} (${names}): ${item.reason} — ${result.detail}`,
  );
  if (!result.delivered) pageInstead(state, item, result.detail);
}
