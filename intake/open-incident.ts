import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { AlertArgs } from '../domain/messages';
import type { IncidentInput, Severity } from '../domain/types';
import { parseSeverity } from '../domain/policy';
import { genericAlertSchema, serviceName } from './alerts';
import { incidentWorkflowId } from './incident-id';
import { SpanKind } from '@opentelemetry/api';
import {
  RUN_ID_ATTR_KEY,
  TRACE_HEADER,
  WORKFLOW_ID_ATTR_KEY,
} from '@temporalio/interceptors-opentelemetry/lib/instrumentation';
import { TASK_QUEUE } from '../config/task-queue';
import { inSpan, traceCarrier } from '../config/tracing';

export { TASK_QUEUE };

export interface OpenedIncident {
  workflowId: string;
  runId: string;
  deduplicated: boolean;
}

/**
 * Starts the incident or, when one is open for the same dedup key, signals it the alerts: one atomic
 * signalWithStart. The raw call is used because its answer says whether a run was started.
 */
export async function openOrSignalIncident(
  client: Client,
  input: IncidentInput,
  opts: { taskQueue?: string; namespace?: string } = {},
): Promise<OpenedIncident> {
  const workflowId = incidentWorkflowId(input.dedupKey);
  const signal: AlertArgs = { alerts: input.alerts ?? [] };
  const { alerts: _carried, ...startInput } = input;
  return inSpan(
    'SignalWithStartWorkflow:incidentWorkflow',
    SpanKind.CLIENT,
    { [WORKFLOW_ID_ATTR_KEY]: workflowId },
    async (span) => {
      // The trace goes on in the workflow: its context in the header where Temporal's interceptors read it.
      const carrier = traceCarrier();
      const response = await client.workflowService.signalWithStartWorkflowExecution({
        namespace: opts.namespace ?? client.options.namespace,
        workflowId,
        workflowType: { name: 'incidentWorkflow' },
        taskQueue: { name: opts.taskQueue ?? TASK_QUEUE },
        input: { payloads: [defaultPayloadConverter.toPayload(startInput)] },
        signalName: 'alert',
        signalInput: { payloads: [defaultPayloadConverter.toPayload(signal)] },
        identity: 'durable-runbooks-intake',
        requestId: randomUUID(),
        ...(Object.keys(carrier).length && {
          header: { fields: { [TRACE_HEADER]: defaultPayloadConverter.toPayload(carrier) } },
        }),
      });
      span.setAttribute(RUN_ID_ATTR_KEY, response.runId ?? '');
      return { workflowId, runId: response.runId ?? '', deduplicated: response.started === false };
    },
  );
}

/**
 * A person opens an incident without an alert (CLI `declare`, Slack `/incident declare`): a fresh one each
 * time, except for the same request again (`requestId`).
 */
export async function declareIncident(
  client: Client,
  args: { service: string; severity: Severity; summary: string; by: string },
  /**
   * `requestId`: names the request, so that the same request again (a replayed signed Slack command, on any
   * intake replica) folds into the incident it declared instead of declaring another.
   */
  opts: { taskQueue?: string; requestId?: string } = {},
): Promise<OpenedIncident> {
  return openOrSignalIncident(
    client,
    {
      dedupKey: `declared:${args.service}:${opts.requestId ?? randomUUID()}`,
      service: args.service,
      scenario: 'health',
      severity: args.severity,
      summary: args.summary,
      security: false,
      declaredBy: args.by,
    },
    opts,
  );
}

const DECLARE_USAGE = 'usage: declare <service> <P1|P2|P3> <summary>';

/** `declare <service> <P1|P2|P3> <summary…>` (Slack's `/incident` text, the CLI's words) → what to declare, or why not. */
export function parseDeclare(
  text: string,
): { service: string; severity: Severity; summary: string } | string {
  const [verb, service, severity, ...words] = text.trim().split(/\s+/);
  if (verb !== 'declare') return DECLARE_USAGE;
  const named = serviceName.safeParse(service ?? '');
  if (!named.success) return `service: ${named.error.issues[0].message}. ${DECLARE_USAGE}`;
  const sev = parseSeverity(severity);
  if (!sev) return `severity: expected P1, P2 or P3. ${DECLARE_USAGE}`;
  // The same rule as an alert's summary.
  const summary = genericAlertSchema.shape.summary.safeParse(words.join(' '));
  if (!summary.success) return `summary: 1 to 2000 characters. ${DECLARE_USAGE}`;
  return { service: named.data, severity: sev, summary: summary.data };
}
