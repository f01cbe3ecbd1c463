/**
 * Prometheus's HTTP API (`/api/v1/query`): the metric probes of runbook definitions. The server comes from
 * the configuration, never from a workflow's input.
 */
import axios from 'axios';
import { ApplicationFailure } from '@temporalio/activity';
import type { RunbooksConfig } from '../config';
import { activityAbortSignal } from './cancellation';

/** Milliseconds as a PromQL duration (whole seconds). */
export function promDuration(ms: number): string {
  return `${Math.max(1, Math.round(ms / 1000))}s`;
}

/** The query's average over the last `recentMs`, and over `baselineMs` before that (subqueries). */
export function anomalyQueries(query: string, recentMs: number, baselineMs: number) {
  const step = promDuration(Math.max(1000, recentMs / 10));
  return {
    value: `avg_over_time((${query})[${promDuration(recentMs)}:${step}])`,
    baseline: `avg_over_time((${query})[${promDuration(baselineMs)}:${step}] offset ${promDuration(recentMs)})`,
  };
}

export function createPrometheusActivities(config: Pick<RunbooksConfig, 'prometheus'>) {
  /** The sum of an instant query's series (null when it has none), evaluated now. */
  async function instantValue(query: string): Promise<number | null> {
    if (!config.prometheus)
      throw ApplicationFailure.nonRetryable('no Prometheus is configured (prometheus.url)', 'NotConfigured');
    // PromQL (brackets, braces, quotes) percent-encoded as a whole.
    const url = `${config.prometheus.url.replace(/\/$/, '')}/api/v1/query?${new URLSearchParams({ query })}`;
    const res = await axios.get(url, {
      timeout: 10_000,
      signal: activityAbortSignal(),
      validateStatus: () => true,
    });
    const body = res.data as {
      status?: string;
      error?: string;
      data?: { resultType?: string; result?: { value?: [number, string] }[] | [number, string] };
    };
    if (res.status !== 200 || body.status !== 'success')
      throw ApplicationFailure.nonRetryable(
        `Prometheus answered ${res.status}: ${String(body.error ?? '').slice(0, 200)}`,
        'PrometheusQueryFailed',
      );
    const result = body.data?.result;
    if (body.data?.resultType === 'scalar') return Number((result as [number, string])[1]);
    const series = (result ?? []) as { value?: [number, string] }[];
    if (!series.length) return null;
    return series.reduce((sum, s) => sum + Number(s.value?.[1] ?? 0), 0);
  }

  return { instantValue };
}
