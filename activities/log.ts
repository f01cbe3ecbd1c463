import { trace } from '@opentelemetry/api';
import { Context } from '@temporalio/activity';
import { processLogger, type Logger } from '../config/logger';

/**
 * The process's logger with the activity's identity on every line: workflow, run, activity, attempt, the
 * incident when the caller knows its id, and the trace when traces are on (the activity runs in its span).
 * Outside an activity (a script, a test) it is the process's logger.
 */
export function activityLogger(incidentId?: string): Logger {
  const base = processLogger();
  try {
    const { workflowExecution, activityType, attempt } = Context.current().info;
    const span = trace.getActiveSpan()?.spanContext();
    return base.child({
      ...(span?.traceFlags && { traceId: span.traceId }),
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
