/**
 * Reading on-call overrides and maintenance windows from their workflows: with the worker's own Temporal
 * client in activities, with the CLI's in `npm run oncall`.
 */
import { Context } from '@temporalio/activity';
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import {
  addOverrideUpdate,
  endMaintenanceUpdate,
  removeOverrideUpdate,
  startMaintenanceUpdate,
  maintenanceQuery,
  maintenanceWorkflowId,
  onCallOverridesWorkflowId,
  overridesQuery,
  type MaintenanceWindow,
} from '../domain/messages';
import type { StoredOverride } from '../domain/oncall';

/** A query's answer, or `none` when the workflow was never started (nobody ever set one). */
async function queryOrNone<T>(read: () => Promise<T>, none: T): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return none;
    throw err;
  }
}

/** The schedule's current and future overrides. */
export function readOverrides(client: Client, schedule: string): Promise<StoredOverride[]> {
  return queryOrNone(
    () => client.workflow.getHandle(onCallOverridesWorkflowId(schedule)).query(overridesQuery),
    [],
  );
}

/**
 * Adds an override to the schedule's workflow, starting it if nobody ever set one (the CLI and the API). Its
 * validator refuses an overlap or a window in the past: a WorkflowUpdateFailedError that says why.
 */
export function addOverride(
  client: Client,
  taskQueue: string,
  schedule: string,
  args: { contactId: string; from: number; to: number; by: string; reason?: string },
): Promise<StoredOverride> {
  return client.workflow.executeUpdateWithStart(addOverrideUpdate, {
    args: [args],
    startWorkflowOperation: new WithStartWorkflowOperation('onCallOverridesWorkflow', {
      workflowId: onCallOverridesWorkflowId(schedule),
      taskQueue,
      args: [{ schedule }],
      workflowIdConflictPolicy: 'USE_EXISTING',
    }),
  });
}

/** Removes the override `id`; answers those left. */
export function removeOverride(
  client: Client,
  schedule: string,
  id: string,
  by: string,
): Promise<StoredOverride[]> {
  return client.workflow.getHandle(onCallOverridesWorkflowId(schedule)).executeUpdate(removeOverrideUpdate, {
    args: [{ id, by }],
  });
}

/** Opens a maintenance window on the service until `to`, starting its workflow if need be (CLI and API). */
export function startMaintenance(
  client: Client,
  taskQueue: string,
  service: string,
  args: { to: number; by: string; reason?: string },
): Promise<MaintenanceWindow> {
  return client.workflow.executeUpdateWithStart(startMaintenanceUpdate, {
    args: [args],
    startWorkflowOperation: new WithStartWorkflowOperation('maintenanceWorkflow', {
      workflowId: maintenanceWorkflowId(service),
      taskQueue,
      args: [{ service }],
      workflowIdConflictPolicy: 'USE_EXISTING',
    }),
  });
}

/** Ends the service's window under way (WorkflowNotFoundError when it never had one). */
export function endMaintenance(client: Client, service: string, by: string): Promise<MaintenanceWindow[]> {
  return client.workflow
    .getHandle(maintenanceWorkflowId(service))
    .executeUpdate(endMaintenanceUpdate, { args: [{ by }] });
}

/**
 * Every service's windows that have not ended, from the visibility list and each workflow's query (each
 * within `queryMs`); the services whose workflow did not answer (no worker polling) are named apart.
 */
export async function listMaintenance(
  client: Client,
  taskQueue: string,
  queryMs: number,
): Promise<{ windows: Array<MaintenanceWindow & { service: string }>; unreadable: string[] }> {
  const windows: Array<MaintenanceWindow & { service: string }> = [];
  const unreadable: string[] = [];
  for await (const wf of client.workflow.list({
    query: `WorkflowType = 'maintenanceWorkflow' AND ExecutionStatus = 'Running' AND TaskQueue = '${taskQueue.replace(/'/g, '')}'`,
  })) {
    const service = wf.workflowId.replace(/^maintenance-/, '');
    try {
      const held = await client.connection.withDeadline(Date.now() + queryMs, () =>
        client.workflow.getHandle(wf.workflowId).query(maintenanceQuery),
      );
      windows.push(...held.map((w) => ({ ...w, service })));
    } catch {
      unreadable.push(service);
    }
  }
  return { windows, unreadable };
}

export function onCallOverrides(args: { schedule: string }): Promise<StoredOverride[]> {
  return readOverrides(Context.current().client, args.schedule);
}

/** The service's maintenance window under way at `at` (workflow time), or null. */
export async function maintenanceWindow(args: {
  service: string;
  at: number;
}): Promise<MaintenanceWindow | null> {
  const handle = Context.current().client.workflow.getHandle(maintenanceWorkflowId(args.service));
  const windows = await queryOrNone(() => handle.query(maintenanceQuery), []);
  return windows.find((w) => w.from <= args.at && args.at < w.to) ?? null;
}
