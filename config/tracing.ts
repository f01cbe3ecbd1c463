/**
 * Traces (OpenTelemetry), on in a process when the standard OTEL_EXPORTER_OTLP_ENDPOINT (or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set: spans go over OTLP/HTTP (JSON) to a collector, Jaeger or Tempo,
 * batched (OTEL_BSP_* tunes the batches), named OTEL_SERVICE_NAME or `durable-runbooks-<process>`.
 *
 * One alert is one trace: the intake's span for the post, its signal-with-start (whose header carries the
 * trace context, as Temporal's client interceptor would write it), the incident's first workflow task
 * (`workflows/tracing.ts`) and the activities it schedules (`workers/tracing.ts`). Off, the OpenTelemetry
 * API's calls are no-ops and nothing is sent.
 */
import { context, propagation, trace, type Span, type SpanKind } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type ReadableSpan,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';

export interface Tracing {
  resource: Resource;
  /** Where the workflows' spans (made in the sandbox, handed out by a sink) are processed. */
  spanProcessor: SpanProcessor;
  /** Sends what is batched, then stops. */
  shutdown(): Promise<void>;
}

/** Whether this environment asks for traces. */
function tracingWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim());
}

let started: Tracing | undefined;
/**
 * Starts tracing for this process (once) when the environment asks for it: the global tracer, the W3C
 * propagator and the async context the intake's spans nest in. Undefined when traces are off.
 */
export function startTracing(
  process: string,
  env: NodeJS.ProcessEnv = globalThis.process.env,
): Tracing | undefined {
  if (started || !tracingWanted(env)) return started;
  const resource = Resource.default().merge(
    new Resource({ 'service.name': env.OTEL_SERVICE_NAME?.trim() || `durable-runbooks-${process}` }),
  );
  const spanProcessor = new BatchSpanProcessor(new OTLPTraceExporter());
  const provider = new BasicTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register({
    contextManager: new AsyncLocalStorageContextManager(),
    propagator: new W3CTraceContextPropagator(),
  });
  started = { resource, spanProcessor, shutdown: () => provider.shutdown() };
  return started;
}

/** A span processor that drops everything: the workflows' sink when traces are off. */
export const DROP_SPANS: SpanProcessor = {
  onStart: () => undefined,
  onEnd: (_span: ReadableSpan) => undefined,
  forceFlush: async () => undefined,
  shutdown: async () => undefined,
};

/** Runs `fn` in a new span (a child of the active one), ending it with `fn`'s outcome. */
export async function inSpan<T>(
  name: string,
  kind: SpanKind,
  attributes: Record<string, string | number | boolean>,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  return trace.getTracer('durable-runbooks').startActiveSpan(name, { kind, attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: 2, message: (err as Error).message });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** The active trace context as W3C headers (`traceparent`), empty when traces are off. */
export function traceCarrier(): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}
