/**
 * The OpenTelemetry part of `tracing.ts`, loaded only by a run whose start carried a trace: every workflow
 * evaluates its own modules (the SDK keeps module state per run), and OpenTelemetry's are heavy.
 */
// First: OpenTelemetry reads `performance` as it loads, which the sandbox has not; this gives it workflow time.
import '@temporalio/interceptors-opentelemetry/lib/workflow/runtime';
import {
  defaultTextMapGetter,
  defaultTextMapSetter,
  ROOT_CONTEXT,
  trace,
  type Context,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { SpanExporter } from '@temporalio/interceptors-opentelemetry/lib/workflow/span-exporter';
import { workflowInfo } from '@temporalio/workflow';

const propagator = new W3CTraceContextPropagator();

/**
 * Records the run's first workflow task as a span, the child of the trace in `carrier` (the start's header),
 * and answers that span's context; none when the carrier names no trace.
 */
export function workflowTaskSpan(carrier: Record<string, string>): Context | undefined {
  const parent = propagator.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter);
  const parentSpan = trace.getSpanContext(parent);
  if (!parentSpan) return undefined;
  const { workflowType, workflowId, runId } = workflowInfo();
  // Ids from the run, not Math.random: the workflow's own random numbers (its ids) must not depend on
  // whether a trace came with the start, or a replay by a worker of another release would differ.
  const spanId = runId.replace(/-/g, '').slice(16, 32).padStart(16, '0');
  const tracer = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(new SpanExporter())],
    idGenerator: { generateSpanId: () => spanId, generateTraceId: () => parentSpan.traceId },
  }).getTracer('durable-runbooks-workflow');
  const span = tracer.startSpan(
    `WorkflowTask:${workflowType}`,
    { attributes: { temporalWorkflowId: workflowId, run_id: runId } },
    parent,
  );
  span.end();
  return trace.setSpan(parent, span);
}

/** The W3C headers (`traceparent`) of `context`. */
export function carrierOf(context: Context): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagator.inject(context, carrier, defaultTextMapSetter);
  return carrier;
}
