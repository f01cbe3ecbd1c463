/**
 * Reading on-call overrides and maintenance windows from their workflows: with the worker's own Temporal
 * client in activities, with the CLI's in `npm run oncall`.
 */
import { Context } from '@temporalio/activity';
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import {
  addOverrideUpdate,
  removeOverrideUpdate,
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
