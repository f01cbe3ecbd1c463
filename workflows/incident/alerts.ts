/**
 * Folding source alerts into the incident. A resend of what the incident already holds changes nothing
 * and must not wake the loop: Alertmanager resends every group_interval, for as long as the alert fires.
 */
import { isSourceAlert } from '../../domain/policy';
import { refusal } from './commands';
import { noteAlertSeverity } from './transitions';
import { holdForward } from './merge';
import { boundAlerts, record, trimAlert, type IncidentState } from './state';

/** Folds the alerts in; answers whether anything changed (only then is the loop woken). */
export function ingestAlerts(state: IncidentState, incoming: unknown, now: number): boolean {
  if (!Array.isArray(incoming)) return false;
  // Revision 8: merged into another incident, this alert group's alerts are that one's (`merge.ts`).
  if (state.mergedInto) return holdForward(state, incoming.filter(isSourceAlert).map(trimAlert));
  const known = new Map(state.alertStatus);
  let changed = false;
  for (const alert of incoming.filter(isSourceAlert).map(trimAlert)) {
    const before = known.get(alert.fingerprint);
    if (before === alert.status) continue; // a resend
    const change = !before
      ? alert.status === 'resolved'
        ? 'resolved'
        : 'new'
      : alert.status === 'resolved'
        ? 'resolved'
        : 'refired';
    known.set(alert.fingerprint, alert.status);
    const detail = state.alerts.findIndex((a) => a.fingerprint === alert.fingerprint);
    if (detail >= 0) state.alerts[detail] = alert;
    else state.alerts.push(alert);
    changed = true;
    record(state, now, 'alert', `alert ${change}: ${alert.summary} [${alert.fingerprint}]`, {
      actor: alert.source,
      announce: change !== 'new',
    });
    if (change === 'resolved' || state.status === 'cancelled') continue;
    noteAlertSeverity(state, alert.severity, alert.summary);
    if (state.status === 'monitoring' && change === 'refired')
      state.pendingRelapse = `alert fired again: ${alert.summary}`;
    // Firing again while the close runs: it is not over, so the incident reopens instead of closing.
    if (state.status === 'resolved')
      state.pendingRelapse = `alert fired again during the close: ${alert.summary}`;
  }
  if (!changed) return false;
  state.alertStatus = [...known];
  const allResolved = state.alertStatus.length > 0 && state.alertStatus.every(([, s]) => s === 'resolved');
  if (allResolved && !state.pendingResolve && refusal(state, 'resolve', {}) === null)
    state.pendingResolve = { by: 'alerts', summary: 'every source alert resolved' };
  boundAlerts(state);
  return true;
}
