/** Reading a schedule's overrides from its workflow (the worker's own Temporal client). */
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/common';
import { onCallOverridesWorkflowId, overridesQuery } from '../workflows/messages';
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
