/**
 * Anyone who can reach Temporal can start a workflow with any input. The activities that act on real
 * systems therefore trust the configuration, not their arguments: a container, a database URL variable,
 * a health URL or a log pattern that the configuration does not name is refused, whatever asked for it.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { RunbooksConfig } from '../config';
import { LOG_SCAN_PATTERN } from '../workflows/runbook-policy';

/** What the configuration allows activities to touch, read at call time (services can be reloaded). */
function allowed(config: RunbooksConfig) {
  const services = Object.values(config.services);
  return {
    containers: new Set(services.flatMap((s) => [s.container, s.databaseContainer ?? undefined])),
    urlEnvs: new Set(services.map((s) => s.databaseUrlEnv ?? undefined)),
    healthUrls: new Set(services.flatMap((s) => s.healthUrls)),
  };
}

function refuse(what: string, value: unknown): never {
  throw ApplicationFailure.nonRetryable(
    `${what} ${JSON.stringify(value)?.slice(0, 120)} is not in the configuration: refused`,
    'TargetNotConfigured',
  );
}

/** Checks one call's arguments against the configuration; throws a non-retryable failure naming the target. */
export function checkTargets(config: RunbooksConfig, args: unknown): void {
  const a = (args ?? {}) as Record<string, unknown>;
  const ok = allowed(config);
  if ('container' in a && !(typeof a.container === 'string' && ok.containers.has(a.container)))
    refuse('container', a.container);
  if ('urlEnv' in a && !(typeof a.urlEnv === 'string' && ok.urlEnvs.has(a.urlEnv)))
    refuse('database URL variable', a.urlEnv);
  if ('urls' in a) {
    if (!Array.isArray(a.urls)) refuse('health URL list', a.urls);
    for (const url of a.urls)
      if (typeof url !== 'string' || !ok.healthUrls.has(url)) refuse('health URL', url);
  }
  // The log scan's regular expression is ours, never the caller's (no catastrophic backtracking on demand).
  if ('pattern' in a && a.pattern !== LOG_SCAN_PATTERN) refuse('log pattern', a.pattern);
}

/** The same activities, each checking its targets before it runs. */
export function guardTargets<T extends Record<string, (args: never) => Promise<unknown>>>(
  config: RunbooksConfig,
  activities: T,
): T {
  const guarded: Record<string, (args: never) => Promise<unknown>> = {};
  for (const [name, fn] of Object.entries(activities))
    guarded[name] = async (args: never) => {
      checkTargets(config, args);
      return fn(args);
    };
  return guarded as T;
}
