/**
 * Carries out revision 8's merge effects: the other incident is told (its alerts go with it), a merged
 * incident's later alerts are forwarded there, and a closing incident tells those merged into it that it
 * closed. Signals to other workflows: a closed or missing one fails the signal, which is the answer.
 */
import { getExternalWorkflowHandle } from '@temporalio/workflow';
import { mergeEndedSignal, mergedInSignal } from '../../domain/messages';
import { describeError } from './effects';
import { merged } from './merge';
import { record, type IncidentState } from './state';

const OPEN = ['triggered', 'acknowledged', 'mitigating'];

/** Tells the other incident it takes this one's alerts; this one closes as merged when it did. */
export async function runMerge(state: IncidentState): Promise<void> {
  const { into, intoWorkflowId, by } = state.pendingMerge!;
  if (!OPEN.includes(state.status)) return merged(state, `this incident is ${state.status}`, Date.now());
  try {
    await getExternalWorkflowHandle(intoWorkflowId).signal(mergedInSignal, {
      from: state.incidentId,
      fromWorkflowId: state.workflowId,
      by,
      alerts: state.alerts,
    });
    merged(state, null, Date.now());
  } catch (err) {
    merged(state, `no open incident ${into} took it (${describeError(err)})`, Date.now());
  }
}

/** The group's alerts since the merge go to the other incident; once it is gone, they stay to open anew. */
export async function runForward(state: IncidentState): Promise<void> {
  const merge = state.mergedInto!;
  const alerts = merge.forward.splice(0);
  try {
    await getExternalWorkflowHandle(merge.workflowId).signal(mergedInSignal, {
      from: state.incidentId,
      fromWorkflowId: state.workflowId,
      by: 'alerts',
      alerts,
    });
  } catch (err) {
    merge.forward.unshift(...alerts);
    merge.ended = true;
    record(
      state,
      Date.now(),
      'note',
      `${merge.incidentId} no longer takes this alert group's alerts (${describeError(err)}): they open a new incident`,
    );
  }
}

/** At close: each incident merged into this one stops forwarding (its group's next alert opens anew). */
export async function endMerges(state: IncidentState): Promise<void> {
  for (const from of state.mergedFrom ?? [])
    await getExternalWorkflowHandle(from.workflowId)
      .signal(mergeEndedSignal, { into: state.incidentId })
      .catch(() => undefined);
}
