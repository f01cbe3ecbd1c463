/**
 * Traces on every worker (`config/tracing.ts` says when they are on). The workflows' interceptors
 * (`workflows/tracing.ts`) are bundled with the workflows, on or off, so that every worker runs the same
 * workflow code whatever its environment: their span is made in the sandbox and handed out by the
 * `exporter` sink, which drops it when traces are off. Activities run under Temporal's OpenTelemetry
 * activity interceptors, which continue the trace their header carries.
 */
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/worker';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { WorkerOptions } from '@temporalio/worker';
import { Resource } from '@opentelemetry/resources';
import { DROP_SPANS, type Tracing } from '../config/tracing';

/**
 * The workflow interceptors' module of the workflows at `workflowsPath` (a directory or its index), for their
 * bundle: none for a release's tree from before they existed (`npm run record-release` bundles old ones).
 */
export function workflowInterceptorModules(workflowsPath: string): string[] {
  const dir = /\.[jt]s$/.test(workflowsPath) ? path.dirname(workflowsPath) : workflowsPath;
  const module = path.join(dir, 'tracing');
  return ['.ts', '.js'].some((ext) => existsSync(module + ext)) ? [module] : [];
}

/** A worker's activity interceptors and the workflows' span sink, with traces on or off. */
export function tracingWorkerOptions(
  tracing: Tracing | undefined,
): Pick<WorkerOptions, 'interceptors' | 'sinks'> {
  return {
    interceptors: {
      activity: [
        (ctx) => ({
          inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
          outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
        }),
      ],
    },
    sinks: {
      exporter: makeWorkflowExporter(
        tracing?.spanProcessor ?? DROP_SPANS,
        tracing?.resource ?? Resource.default(),
      ),
    },
  };
}
