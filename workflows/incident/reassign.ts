/**
 * Reassigning an incident to another team (engine revision 7): the team's escalation policy replaces the
 * incident's, read from the configuration (an activity), and its ladder pages from the first rule now. An
 * acknowledgement is cleared: the new team owns the incident once one of it acknowledges. Pure: `now` is
 * passed in.
 */
import type { IncidentPolicy } from '../../domain/policy';
import { responderTargetOf, type TeamPolicy } from '../../domain/responders';
import { firstRungDue } from './ladder';
import { record, type IncidentState } from './state';
import { revisionAtLeast } from './transitions';

export const REASSIGN_REVISION = 7;

type CommandArgs = Record<string, unknown> | null | undefined;

/** The team the arguments name, or why they name none. */
function teamOf(args: CommandArgs): { team: string } | { error: string } {
  if (args?.team === undefined) return { error: 'team: the team to reassign to' };
  const target = responderTargetOf({ team: args.team });
  return typeof target === 'string' ? { error: target } : { team: target.name };
}

export function reassignRefusal(state: IncidentState, args: CommandArgs): string | null {
  if (!revisionAtLeast(state, REASSIGN_REVISION))
    return `reassigning needs engine revision ${REASSIGN_REVISION}; this incident runs revision ${state.policy?.revision ?? 1}`;
  const named = teamOf(args);
  if ('error' in named) return named.error;
  const { team } = named;
  if (state.status === 'resolved') return 'incident is already resolved';
  if (state.status === 'monitoring') return 'incident is being monitored after resolve';
  if (state.status === 'suppressed' || state.status === 'cancelled') return `incident is ${state.status}`;
  if (state.pendingReassign) return `a reassignment to team ${state.pendingReassign.team} is under way`;
  if (state.policy?.team === team) return `incident is already team ${team}'s`;
  return null;
}

export function applyReassign(state: IncidentState, by: string, args: CommandArgs, now: number): string {
  const { team } = teamOf(args) as { team: string };
  state.pendingReassign = { team, by };
  record(state, now, 'escalated', `reassignment requested: to team ${team}`, { actor: by });
  return `reassigning to team ${team}: its policy pages from its first rule`;
}

/** The configuration's answer: the team's policy now leads the incident, or the reason it cannot. */
export function reassigned(
  state: IncidentState,
  policy: TeamPolicy | { refused: string },
  now: number,
): void {
  const asked = state.pendingReassign!;
  state.pendingReassign = null;
  if ('refused' in policy) {
    record(state, now, 'error', `cannot reassign to team ${asked.team}: ${policy.refused}`);
    return;
  }
  // The old team's per-severity ladders go with it: the new team's, if it has any, replace them.
  const { bySeverity: _old, ...rest } = state.policy!;
  state.policy = { ...rest, ...policy } satisfies IncidentPolicy;
  const wasAcknowledged = state.acknowledgedBy;
  if (state.status === 'acknowledged' || state.status === 'mitigating') state.status = 'triggered';
  state.acknowledgedAt = null;
  state.acknowledgedBy = null;
  state.ackExpiresAt = null;
  state.ladderStep = 0;
  state.ladderExhausted = null;
  state.nextEscalationAt = firstRungDue(state, now);
  record(
    state,
    now,
    'escalated',
    `reassigned to team ${policy.team} (policy ${policy.escalationPolicy}): its ladder pages from its first rule${wasAcknowledged ? `; ${wasAcknowledged}'s acknowledgement cleared` : ''}`,
    { actor: asked.by },
  );
}
