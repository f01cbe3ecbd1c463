import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { AlertArgs } from '../workflows/messages';
import type { IncidentInput } from '../workflows/types';
import { incidentWorkflowId } from './incident-id';

export const TASK_QUEUE = process.env.TEMPORAL_TASK_QUEUE ?? 'incident-response';

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
  });
  return { workflowId, runId: response.runId ?? '', deduplicated: response.started === false };
}
