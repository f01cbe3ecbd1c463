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
// First: OpenTelemetry reads `performance` as it loads, which the sandbox has not; this gives it workflow time.
import '@temporalio/interceptors-opentelemetry/lib/workflow/runtime';
import { ROOT_CONTEXT, trace, type Context } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { defaultPayloadConverter, type Headers } from '@temporalio/common';
import { SpanExporter } from '@temporalio/interceptors-opentelemetry/lib/workflow/span-exporter';
import {
  workflowInfo,
  type ActivityInput,
  type LocalActivityInput,
  type Next,
  type WorkflowExecuteInput,
  type WorkflowInboundCallsInterceptor,
  type WorkflowInterceptorsFactory,
  type WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';

/** The header Temporal's OpenTelemetry interceptors read and write (`_tracer-data`). */
const TRACE_HEADER = '_tracer-data';
const propagator = new W3CTraceContextPropagator();
const carrierGetter = {
  keys: (c: Record<string, string>) => Object.keys(c),
  get: (c: Record<string, string>, k: string) => c[k],
};
const carrierSetter = { set: (c: Record<string, string>, k: string, v: string) => void (c[k] = v) };

/** This run's workflow-task span, once its start carried a trace (module state is the run's own). */
let runContext: Context | undefined;
let tracer: ReturnType<BasicTracerProvider['getTracer']> | undefined;

function traceOf(headers: Headers): Context | undefined {
  const payload = headers[TRACE_HEADER];
  if (!payload) return undefined;
  const carrier = defaultPayloadConverter.fromPayload(payload) as Record<string, string>;
  if (!carrier || typeof carrier !== 'object') return undefined;
  const context = propagator.extract(ROOT_CONTEXT, carrier, carrierGetter);
  return trace.getSpanContext(context) ? context : undefined;
}

function withTrace(headers: Headers): Headers {
  if (!runContext) return headers;
  const carrier: Record<string, string> = {};
  propagator.inject(runContext, carrier, carrierSetter);
  return { ...headers, [TRACE_HEADER]: defaultPayloadConverter.toPayload(carrier) };
}

class TraceInbound implements WorkflowInboundCallsInterceptor {
  execute(input: WorkflowExecuteInput, next: Next<WorkflowInboundCallsInterceptor, 'execute'>) {
    const parent = traceOf(input.headers);
    if (parent) {
      const { workflowType, workflowId, runId } = workflowInfo();
      // Ids from the run, not Math.random: the workflow's own random numbers (its ids) must not depend on
      // whether a trace came with the start, or a replay by a worker of another release would differ.
      const spanId = runId.replace(/-/g, '').slice(16, 32).padStart(16, '0');
      tracer ??= new BasicTracerProvider({
        spanProcessors: [new SimpleSpanProcessor(new SpanExporter())],
        idGenerator: {
          generateSpanId: () => spanId,
          generateTraceId: () => trace.getSpanContext(parent)!.traceId,
        },
      }).getTracer('durable-runbooks-workflow');
      const span = tracer.startSpan(
        `WorkflowTask:${workflowType}`,
        { attributes: { temporalWorkflowId: workflowId, run_id: runId } },
        parent,
      );
      span.end();
      runContext = trace.setSpan(parent, span);
    }
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
