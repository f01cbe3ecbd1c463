/** Reading on-call overrides and maintenance windows from their workflows (the worker's own Temporal client). */
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/common';
import {
  maintenanceQuery,
  maintenanceWorkflowId,
  onCallOverridesWorkflowId,
  overridesQuery,
  type MaintenanceWindow,
} from '../workflows/messages';
import type { StoredOverride } from '../workflows/oncall';

/** The schedule's current and future overrides; none when nobody ever set one (no workflow yet). */
export async function onCallOverrides(args: { schedule: string }): Promise<StoredOverride[]> {
  const handle = Context.current().client.workflow.getHandle(onCallOverridesWorkflowId(args.schedule));
  try {
    return await handle.query(overridesQuery);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return [];
    throw err;
  }
}

/** The service's maintenance window under way at `at` (workflow time), or null. */
export async function maintenanceWindow(args: {
  service: string;
  at: number;
}): Promise<MaintenanceWindow | null> {
  const handle = Context.current().client.workflow.getHandle(maintenanceWorkflowId(args.service));
  try {
    const windows = await handle.query(maintenanceQuery);
    return windows.find((w) => w.from <= args.at && args.at < w.to) ?? null;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    throw err;
  }
}
