/**
 * Alertmanager resends a firing group every group_interval for as long as it fires (twice with an HA
 * pair): over days, one signal per resend would exhaust the incident's 10,000-signal budget. A post
 * whose every alert the incident was already told, with the same status, within the window is answered
 * without signalling. At least one post per window still goes through, so a closed incident's group
 * opens a new one within a window; it carries only the alerts the run was not told yet (`untold`), so a
 * week of resends of a large group costs the history bytes, not megabytes.
 */
import type { SourceAlert } from '../domain/types';

// Per incident, as many as the workflow itself remembers.
const MAX_FINGERPRINTS = 2000;

interface Entry {
  runId: string;
  statuses: Map<string, SourceAlert['status']>;
  freshUntil: number;
}

export class ResendFilter {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly windowMs: number,
    private readonly maxIncidents = 10_000,
  ) {}

  /** The run already holds every one of these alerts with this status: answer without signalling. */
  resendOf(workflowId: string, alerts: readonly SourceAlert[], now: number): { runId: string } | null {
    const entry = this.entries.get(workflowId);
    if (!entry || now >= entry.freshUntil || !alerts.length) return null;
    return alerts.every((a) => entry.statuses.get(a.fingerprint) === a.status)
      ? { runId: entry.runId }
      : null;
  }

  /** The run these alerts were last given to, if this intake remembers it. */
  runOf(workflowId: string): string | undefined {
    return this.entries.get(workflowId)?.runId;
  }

  /** The alerts the remembered run was not told in this status (all of them when no run is remembered). */
  untold(workflowId: string, alerts: readonly SourceAlert[]): SourceAlert[] {
    const entry = this.entries.get(workflowId);
    return entry ? alerts.filter((a) => entry.statuses.get(a.fingerprint) !== a.status) : [...alerts];
  }

  /** Temporal accepted these alerts for this run. */
  remember(workflowId: string, runId: string, alerts: readonly SourceAlert[], now: number): void {
    let entry = this.entries.get(workflowId);
    if (!entry || entry.runId !== runId) entry = { runId, statuses: new Map(), freshUntil: 0 };
    this.entries.delete(workflowId); // re-insert: the Map's order is the eviction order
    for (const a of alerts) {
      entry.statuses.delete(a.fingerprint); // re-insert: the oldest fingerprints are let go first
      entry.statuses.set(a.fingerprint, a.status);
    }
    while (entry.statuses.size > MAX_FINGERPRINTS)
      entry.statuses.delete(entry.statuses.keys().next().value as string);
    entry.freshUntil = now + this.windowMs;
    this.entries.set(workflowId, entry);
    while (this.entries.size > this.maxIncidents)
      this.entries.delete(this.entries.keys().next().value as string);
  }

  forget(workflowId: string): void {
    this.entries.delete(workflowId);
  }
}
