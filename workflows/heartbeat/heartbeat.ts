/**
 * One small workflow per heartbeat (`heartbeat-<name>`): a timer that each beat resets. Missed for interval +
 * grace, it opens an incident for the heartbeat's service (a child left to run on its own) with one firing
 * alert; the next beat resolves that alert, and the incident closes as any incident whose alerts resolved.
 * A heartbeat never heard from since it started (the worker starts every configured one) alarms too.
 * Beats are deduplicated by the intake, and the history is bounded by continue-as-new.
 */
import {
  ParentClosePolicy,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { alertSignal, heartbeatQuery, heartbeatSignal, type HeartbeatSettings } from '../../domain/messages';
import type { SourceAlert } from '../../domain/types';
import { incidentWorkflow } from '../incident';

export interface HeartbeatInput {
  settings: HeartbeatSettings;
  /** Carried over continue-as-new. */
  lastBeatAt?: number | null;
  startedAt?: number;
  incidentWorkflowId?: string | null;
}

/** Beats a run takes before continuing as new (each is a signal and a timer: a few events). */
const BEATS_PER_RUN = 500;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function alertOf(settings: HeartbeatSettings, status: 'firing' | 'resolved', since: number): SourceAlert {
  return {
    fingerprint: `heartbeat-${settings.name}`,
    status,
    summary: `no heartbeat from ${settings.name} since ${new Date(since).toISOString()}`,
    labels: { heartbeat: settings.name, service: settings.service },
    source: 'generic',
  };
}

export async function heartbeatWorkflow(input: HeartbeatInput): Promise<void> {
  let settings = input.settings;
  let lastBeatAt = input.lastBeatAt ?? null;
  const startedAt = input.startedAt ?? Date.now();
  let incident = input.incidentWorkflowId ?? null;
  let beats = 0;
  let seen = 0;
  const dueBy = () => (lastBeatAt ?? startedAt) + settings.intervalMs + settings.graceMs;

  setHandler(heartbeatSignal, (beat) => {
    // A beat carries the configuration the intake has: a changed interval applies from it on.
    if (beat && typeof beat === 'object' && beat.intervalMs > 0 && beat.graceMs >= 0)
      settings = { ...beat, name: settings.name };
    beats += 1;
    lastBeatAt = Date.now();
  });
  setHandler(heartbeatQuery, () => ({
    name: settings.name,
    lastBeatAt: iso(lastBeatAt),
    dueBy: iso(dueBy())!,
    incidentWorkflowId: incident,
  }));

  while (seen < BEATS_PER_RUN) {
    // Missed already: nothing to time, only a beat to wait for (a condition without a timeout answers nothing).
    const beat = incident
      ? (await condition(() => beats !== seen), true)
      : await condition(() => beats !== seen, Math.max(1, dueBy() - Date.now()));
    if (beat) {
      seen = beats;
      if (incident) {
        const handle = getExternalWorkflowHandle(incident);
        // A person may have closed it already: then there is nothing to resolve.
        await handle
          .signal(alertSignal, { alerts: [alertOf(settings, 'resolved', lastBeatAt!)] })
          .catch(() => undefined);
        incident = null;
      }
      continue;
    }
    if (Date.now() < dueBy()) continue;
    incident = await openIncident(settings, lastBeatAt ?? startedAt);
  }
  await continueAsNew<typeof heartbeatWorkflow>({
    settings,
    lastBeatAt,
    startedAt,
    incidentWorkflowId: incident,
  });
}

/** Opens the missed heartbeat's incident (or tells the one still open), with its firing alert. */
async function openIncident(settings: HeartbeatSettings, since: number): Promise<string> {
  const workflowId = `incident-heartbeat-${settings.name}`;
  const alert = alertOf(settings, 'firing', since);
  try {
    const child = await startChild(incidentWorkflow, {
      workflowId,
      taskQueue: workflowInfo().taskQueue,
      parentClosePolicy: ParentClosePolicy.ABANDON,
      args: [
        {
          dedupKey: `heartbeat:${settings.name}`,
          service: settings.service,
          scenario: 'health',
          severity: settings.severity,
          summary: alert.summary,
          security: false,
        },
      ],
    });
    await child.signal(alertSignal, { alerts: [alert] });
  } catch (err) {
    // Open already (a person kept it open across a beat): it hears the alert fire again. Anything else is
    // not retried here (a throw would fail the task for ever); the watchdog sees an incident that fails.
    if (err instanceof WorkflowExecutionAlreadyStartedError)
      await getExternalWorkflowHandle(workflowId)
        .signal(alertSignal, { alerts: [alert] })
        .catch(() => undefined);
  }
  return workflowId;
}
