/**
 * What the `status` query answers: the state in the shape the CLI, the UI, the API and tests read, derived
 * from the state and never kept.
 */
import type { IncidentStatusView } from '../../domain/types';
import { responderViews } from './responders';
import { followUpViews } from './follow-ups';
import { iso, type IncidentState } from './state';

export function toView(state: IncidentState): IncidentStatusView {
  const lastLadderPage = [...state.paged].reverse().find((p) => p.level >= 0);
  return {
    incidentId: state.incidentId,
    workflowId: state.workflowId,
    ...state.input,
    status: state.status,
    createdAt: new Date(state.createdAt).toISOString(),
    acknowledgedAt: iso(state.acknowledgedAt),
    acknowledgedBy: state.acknowledgedBy,
    resolvedAt: iso(state.resolvedAt),
    resolvedBy: state.resolvedBy,
    resolutionSummary: state.resolutionSummary,
    team: state.policy?.team ?? null,
    slackThread: state.thread?.permalink ?? null,
    escalationLevel: lastLadderPage?.level ?? -1,
    ladderRound: lastLadderPage?.round ?? 0,
    paged: state.paged,
    nextEscalationAt: state.status === 'triggered' ? iso(state.nextEscalationAt) : null,
    ladderExhausted:
      state.status === 'triggered' && state.ladderExhausted
        ? `ladder exhausted at ${iso(state.ladderExhausted.at)}: ${state.ladderExhausted.why}`
        : null,
    nextStatusUpdateAt: iso(state.nextStatusUpdateAt),
    ackExpiresAt: iso(state.ackExpiresAt),
    alerts: state.alerts,
    alertCounts: {
      known: state.alertStatus.length,
      firing: state.alertStatus.filter(([, s]) => s === 'firing').length,
      detailsDropped: state.alertsDropped,
    },
    pendingApprovals: state.pendingApprovals,
    reviewPath: state.reviewPath,
    timeline: state.timeline,
    timelineJournaled: (state.journaled ?? 0) + (state.journalQueue?.length ?? 0),
    timelineDropped: state.timelineDropped,
    ...(state.storeLane ? { timelineTotal: state.storeLane.total } : {}),
    ...(state.responders ? { responders: responderViews(state) } : {}),
    ...(state.roles ? { roles: state.roles } : {}),
    ...(state.followUps ? { followUps: followUpViews(state) } : {}),
    ...(state.mergedInto ? { mergedInto: state.mergedInto.incidentId } : {}),
    ...(state.mergedFrom?.length ? { mergedFrom: state.mergedFrom.map((m) => m.incidentId) } : {}),
    run: state.run,
  };
}
