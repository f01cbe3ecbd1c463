/**
 * Workflow interceptors (bundled with the workflows, `workers/tracing.ts`) that continue an alert's trace: the
 * intake's signal-with-start carries its context in the start's header; the first workflow task of the run
 * records one span, `WorkflowTask:<type>`, as its child, and every activity the run schedules carries that
 * span's context in its own header, where the worker's activity interceptor starts `RunActivity:<type>`.
 *
 * Not the interceptors of `@temporalio/interceptors-opentelemetry`: they wrap the run and the handlers in
 * async spans, which moves the run's first commands behind an Update delivered with the start, and so fails
 * the recorded histories of incidents opened before (a nondeterminism error on deploy). These are
 * synchronous: they add headers, never a yield or a command. Spans leave by the `exporter` sink, which is
 * not called on replay.
 */
import type { Context } from '@opentelemetry/api';
import { defaultPayloadConverter, type Headers } from '@temporalio/common';
import type {
  ActivityInput,
  LocalActivityInput,
  Next,
  WorkflowExecuteInput,
  WorkflowInboundCallsInterceptor,
  WorkflowInterceptorsFactory,
  WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';

/** The header Temporal's OpenTelemetry interceptors read and write (theirs is not loaded unless traced). */
const TRACE_HEADER = '_tracer-data';

/** `trace-span.ts`, loaded by the first run that needs it: most runs carry no trace, and pay nothing. */
function spans(): typeof import('./trace-span') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on demand, not with every run
  return require('./trace-span') as typeof import('./trace-span');
}

/** This run's workflow-task span, once its start carried a trace (module state is the run's own). */
let runContext: Context | undefined;

function withTrace(headers: Headers): Headers {
  if (!runContext) return headers;
  return { ...headers, [TRACE_HEADER]: defaultPayloadConverter.toPayload(spans().carrierOf(runContext)) };
}

class TraceInbound implements WorkflowInboundCallsInterceptor {
  execute(input: WorkflowExecuteInput, next: Next<WorkflowInboundCallsInterceptor, 'execute'>) {
    const payload = input.headers[TRACE_HEADER];
    const carrier = payload ? defaultPayloadConverter.fromPayload(payload) : undefined;
    if (carrier && typeof carrier === 'object')
      runContext = spans().workflowTaskSpan(carrier as Record<string, string>);
    return next(input);
  }
}

class TraceOutbound implements WorkflowOutboundCallsInterceptor {
  scheduleActivity(input: ActivityInput, next: Next<WorkflowOutboundCallsInterceptor, 'scheduleActivity'>) {
    return next({ ...input, headers: withTrace(input.headers) });
  }
  scheduleLocalActivity(
    input: LocalActivityInput,
    next: Next<WorkflowOutboundCallsInterceptor, 'scheduleLocalActivity'>,
  ) {
    return next({ ...input, headers: withTrace(input.headers) });
  }
}

export const interceptors: WorkflowInterceptorsFactory = () => ({
  inbound: [new TraceInbound()],
  outbound: [new TraceOutbound()],
});
