/**
 * Anyone who can reach Temporal can start a workflow with any input. The activities that act on real
 * systems therefore trust the configuration, not their arguments: a container, a database URL variable,
 * a health URL or a log pattern that the configuration does not name is refused, whatever asked for it.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { RunbooksConfig } from '../config';
import type { KubernetesTarget } from './platform/kubernetes';
import { kubernetesTargetName } from './policy';
import { ownValue } from '../domain/policy';
import { LOG_SCAN_PATTERN } from '../domain/runbook-policy';

/** What the configuration allows activities to touch, read at call time (services can be reloaded). */
function allowed(config: RunbooksConfig) {
  const services = Object.values(config.services);
  return {
    // A Deployment on Kubernetes goes by `namespace/deployment`, as its runbook's target and restart ledger.
    containers: new Set(
      services.flatMap((s) => [
        s.container,
        s.kubernetes ? kubernetesTargetName(s.kubernetes) : undefined,
        s.databaseContainer ?? undefined,
      ]),
    ),
    urlEnvs: new Set(services.map((s) => s.databaseUrlEnv ?? undefined)),
    healthUrls: new Set(services.flatMap((s) => s.healthUrls)),
    // A PromQL query, like a command, only if a loaded definition holds it.
    queries: new Set(
      config.runbookDefinitions.flatMap((d) =>
        Object.values(d.probes).flatMap((p) => (p.kind === 'prometheus' ? [p.query] : [])),
      ),
    ),
    // A shell command runs only if a validated runbook definition holds it, as a probe or a step.
    commands: new Set(
      config.runbookDefinitions.flatMap((d) => [
        ...Object.values(d.probes).flatMap((p) => (p.kind === 'command' ? [p.command] : [])),
        ...Object.values(d.causes).flatMap((c) =>
          c.steps.flatMap((s) => (s.kind === 'exec' ? [s.command] : [])),
        ),
      ]),
    ),
  };
}

function refuse(what: string, value: unknown): never {
  throw ApplicationFailure.nonRetryable(
    `${what} ${JSON.stringify(value)?.slice(0, 120)} is not in the configuration: refused`,
    'TargetNotConfigured',
  );
}

/**
 * The Deployment a service runs as, from the configuration at call time: how an activity that acts on
 * Kubernetes learns its target (never from its arguments, which name only the service).
 */
export function kubernetesTargetOf(config: RunbooksConfig, service: string): KubernetesTarget {
  const svc = ownValue(config.services, service);
  if (!svc) refuse('service', service);
  if (!svc.kubernetes)
    throw ApplicationFailure.nonRetryable(
      `service ${JSON.stringify(service)} does not run on Kubernetes (no "kubernetes" in its configuration)`,
      'TargetNotConfigured',
    );
  return svc.kubernetes;
}

/** Checks one call's arguments against the configuration; throws a non-retryable failure naming the target. */
export function checkTargets(config: RunbooksConfig, args: unknown): void {
  const a = (args ?? {}) as Record<string, unknown>;
  const ok = allowed(config);
  if ('container' in a && !(typeof a.container === 'string' && ok.containers.has(a.container)))
    refuse('container', a.container);
  // A probe names the service's database container and URL variable, or null when it has none.
  if ('databaseContainer' in a && a.databaseContainer !== null)
    if (!(typeof a.databaseContainer === 'string' && ok.containers.has(a.databaseContainer)))
      refuse('container', a.databaseContainer);
  if ('urlEnv' in a && !(a.urlEnv === null && 'probe' in a))
    if (!(typeof a.urlEnv === 'string' && ok.urlEnvs.has(a.urlEnv)))
      refuse('database URL variable', a.urlEnv);
  if ('command' in a && !(typeof a.command === 'string' && ok.commands.has(a.command)))
    refuse('command', a.command);
  const probe = a.probe as { kind?: unknown; command?: unknown; query?: unknown } | undefined;
  if (probe?.kind === 'command' && !(typeof probe.command === 'string' && ok.commands.has(probe.command)))
    refuse('command', probe.command);
  if (probe?.kind === 'prometheus' && !(typeof probe.query === 'string' && ok.queries.has(probe.query)))
    refuse('query', probe.query);
  if (
    'service' in a &&
    a.service !== undefined &&
    !(typeof a.service === 'string' && Object.hasOwn(config.services, a.service))
  )
    refuse('service', a.service);
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
