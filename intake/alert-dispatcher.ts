/**
 * Where a parsed alert goes: absorbed as a resend, told to the open incident, or opened as a new one
 * (signal-with-start). Holds the resend filter; knows Temporal, not HTTP, so it is tested without fastify.
 */
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { alertSignal } from '../domain/messages';
import type { IntakeAction } from './alerts';
import { incidentWorkflowId } from './incident-id';
import { openOrSignalIncident, type OpenedIncident } from './open-incident';
import { ResendFilter } from './resend-filter';

/** What became of one post, as the `outcome` label of `intake_alerts_total`, and what the sender is told. */
export type Dispatched =
  | {
      outcome: 'resend_absorbed';
      incidents: [{ workflowId: string; runId: string; deduplicated: true; resend: true }];
    }
  | { outcome: 'resolved_without_incident'; incidents: []; note: string }
  | {
      outcome: 'resolved_signalled';
      incidents: [{ workflowId: string; runId: null; deduplicated: true; resolvedSignalled: true }];
    }
  | { outcome: 'started' | 'deduplicated'; incidents: [OpenedIncident] };

export interface DispatcherOptions {
  client: Client;
  /** Runs a Temporal call within the intake's deadline (failures other than not-found become unavailable). */
  withTemporal: <T>(fn: () => Promise<T>) => Promise<T>;
  resendWindowMs: number;
  taskQueue?: string;
  /** The resend window's clock; a benchmark replays a week of resends through it in minutes. */
  now?: () => number;
}

export class AlertDispatcher {
  private readonly resends: ResendFilter;
  private readonly now: () => number;

  constructor(private readonly opts: DispatcherOptions) {
    this.resends = new ResendFilter(opts.resendWindowMs);
    this.now = opts.now ?? Date.now;
  }

  /** Delivers a (non-test) alert post; throws what `withTemporal` throws when Temporal did not answer. */
  async dispatch(action: IntakeAction): Promise<Dispatched> {
    const { client, withTemporal } = this.opts;
    const alerts = action.input.alerts ?? [];
    const workflowId = incidentWorkflowId(action.input.dedupKey);
    const resend = this.resends.resendOf(workflowId, alerts, this.now());
    if (resend)
      return {
        outcome: 'resend_absorbed',
        incidents: [{ workflowId, runId: resend.runId, deduplicated: true, resend: true }],
      };
    if (action.resolveOnly) {
      try {
        await withTemporal(() => client.workflow.getHandle(workflowId).signal(alertSignal, { alerts }));
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        return {
          outcome: 'resolved_without_incident',
          incidents: [],
          note: 'resolved alert for no open incident: nothing to do',
        };
      }
      this.resends.forget(workflowId);
      return {
        outcome: 'resolved_signalled',
        incidents: [{ workflowId, runId: null, deduplicated: true, resolvedSignalled: true }],
      };
    }
    // Only what the incident was not told yet; a run the intake did not know gets every alert.
    const knownRun = this.resends.runOf(workflowId);
    const untold = this.resends.untold(workflowId, alerts);
    const opened = await withTemporal(() =>
      openOrSignalIncident(client, { ...action.input, alerts: untold }, { taskQueue: this.opts.taskQueue }),
    );
    if (knownRun !== undefined && opened.runId !== knownRun && untold.length < alerts.length)
      await withTemporal(() =>
        client.workflow.getHandle(workflowId, opened.runId).signal(alertSignal, { alerts }),
      );
    this.resends.remember(workflowId, opened.runId, alerts, this.now());
    return { outcome: opened.deduplicated ? 'deduplicated' : 'started', incidents: [opened] };
  }
}
