import { Context } from '@temporalio/activity';
import { processLogger, type Logger } from '../config/logger';

/**
 * The process's logger with the activity's identity on every line: workflow, run, activity, attempt, and the
 * incident when the caller knows its id. Outside an activity (a script, a test) it is the process's logger.
 */
export function activityLogger(incidentId?: string): Logger {
  const base = processLogger();
  try {
    const { workflowExecution, activityType, attempt } = Context.current().info;
    return base.child({
      ...(incidentId && { incidentId }),
      workflowId: workflowExecution?.workflowId,
      runId: workflowExecution?.runId,
      activity: activityType,
      attempt,
    });
  } catch {
    return incidentId ? base.child({ incidentId }) : base;
  }
}
