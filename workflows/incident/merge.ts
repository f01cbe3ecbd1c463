/**
 * Merging an incident into another (engine revision 8): `merge {into}` on the incident that goes. Once the
 * other incident took its alerts, it closes as "merged into …", and its run stays as a forwarder: its alert
 * group's alerts (the intake still signals this workflow id) go to the other incident until that one closes
 * and says so. An alert the other incident can no longer take opens a new incident here. Pure: `now` is
 * passed in.
 */
import { workflowIdOfIncident } from '../../domain/incident-id';
import type { SourceAlert } from '../../domain/types';
import { record, type IncidentState } from './state';
import { beginMerged, revisionAtLeast } from './transitions';

export const MERGE_REVISION = 8;
/** Alerts held for forwarding at most: past it the oldest go (the other incident has seen their kind). */
export const MAX_FORWARD = 200;

type CommandArgs = Record<string, unknown> | null | undefined;

const intoOf = (args: CommandArgs) => (typeof args?.into === 'string' ? args.into.trim().slice(0, 200) : '');
/** The other incident's workflow id: given by the surfaces that looked it up, else read from its incident id. */
const intoWorkflowOf = (args: CommandArgs) =>
  typeof args?.intoWorkflowId === 'string' && args.intoWorkflowId.trim()
    ? args.intoWorkflowId.trim().slice(0, 200)
    : workflowIdOfIncident(intoOf(args));

export function mergeRefusal(state: IncidentState, args: CommandArgs): string | null {
  if (!revisionAtLeast(state, MERGE_REVISION))
    return `merging needs engine revision ${MERGE_REVISION}; this incident runs revision ${state.policy?.revision ?? 1}`;
  const into = intoOf(args);
  if (!into) return 'into: the incident to merge into';
  if (into === state.incidentId || intoWorkflowOf(args) === state.workflowId)
    return 'into: an incident cannot be merged into itself';
  if (state.mergedInto) return `incident is already merged into ${state.mergedInto.incidentId}`;
  if (state.pendingMerge) return `a merge into ${state.pendingMerge.into} is under way`;
  if (state.status === 'resolved' || state.status === 'cancelled')
    return `incident is already ${state.status}`;
  if (state.status === 'monitoring') return 'incident is being monitored after resolve';
  return null;
}

export function applyMerge(state: IncidentState, by: string, args: CommandArgs, now: number): string {
  const into = intoOf(args);
  state.pendingMerge = { into, intoWorkflowId: intoWorkflowOf(args), by };
  record(state, now, 'note', `merge requested: into ${into}`, { actor: by });
  return `merging into ${into}: its alerts and this alert group go there`;
}

/** The other incident took the alerts (or could not: `failure`). */
export function merged(state: IncidentState, failure: string | null, now: number): void {
  const { into, intoWorkflowId, by } = state.pendingMerge!;
  state.pendingMerge = null;
  if (failure) {
    record(state, now, 'error', `cannot merge into ${into}: ${failure}`);
    return;
  }
  state.mergedInto = { incidentId: into, workflowId: intoWorkflowId, ended: false, forward: [] };
  beginMerged(state, into, by, now);
}

/**
 * Alerts of this group after the merge: held for the other incident, newest kept; once it has closed they
 * open a new incident here instead.
 */
export function holdForward(state: IncidentState, alerts: SourceAlert[]): boolean {
  const merge = state.mergedInto!;
  if (!alerts.length) return false;
  merge.forward.push(...alerts);
  if (merge.forward.length > MAX_FORWARD) merge.forward.splice(0, merge.forward.length - MAX_FORWARD);
  return true;
}

/** An incident merged into this one: its alerts folded in by the caller, the link kept and said. */
export function mergedIn(
  state: IncidentState,
  from: string,
  fromWorkflowId: string,
  by: string,
  now: number,
) {
  state.mergedFrom ??= [];
  if (!state.mergedFrom.some((m) => m.workflowId === fromWorkflowId))
    state.mergedFrom.push({ incidentId: from.slice(0, 200), workflowId: fromWorkflowId.slice(0, 200) });
  record(
    state,
    now,
    'note',
    `incident ${from.slice(0, 200)} merged into this one: its alerts and alert group feed it`,
    {
      actor: by.slice(0, 200),
    },
  );
}

/** Whether a merged incident's run still forwards (it completes once the other incident said it closed). */
export function forwarding(state: IncidentState): boolean {
  return !!state.mergedInto && !state.mergedInto.ended;
}
