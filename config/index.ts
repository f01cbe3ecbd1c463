import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BUILT_IN_SCENARIOS } from '../domain/types';
import { PACKAGE_ROOT } from './package-root';
import { RunbookDefinitionError, readRunbookDirectory } from './runbook-definitions';
import { configSchema, type RunbooksConfig } from './schema';

export type { RunbooksConfig, ServiceConfig } from './schema';
export { parseDuration, formatDuration } from './duration';

export const DEFAULT_CONFIG_PATH = path.join(PACKAGE_ROOT, 'config', 'durable-runbooks.json');
const REPO_ROOT = PACKAGE_ROOT;

/** A configuration problem, always naming the key that is wrong. */
export class ConfigError extends Error {
  constructor(
    message: string,
    readonly key: string,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function parseConfig(raw: unknown, source = 'config'): RunbooksConfig {
  const result = configSchema.safeParse(raw);
  if (result.success) return withRunbookDefinitions(result.data, source);
  const issue = result.error.issues[0];
  const key = issue.path.map(String).join('.') || '(root)';
  const unknownKeys =
    issue.code === 'unrecognized_keys' ? issue.keys.map((k) => (key === '(root)' ? k : `${key}.${k}`)) : [];
  const named = unknownKeys.length ? unknownKeys.join(', ') : key;
  throw new ConfigError(`${source}: invalid configuration at "${named}": ${issue.message}`, named);
}

export function loadConfig(file = process.env.RUNBOOKS_CONFIG ?? DEFAULT_CONFIG_PATH): RunbooksConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read configuration file ${file}: ${(err as Error).message}`, '(file)');
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${file} is not valid JSON: ${(err as Error).message}`, '(file)');
  }
  return parseConfig(raw, file);
}

/** Every scenario an incident may name: the built-in runbooks and the definitions'. */
export function knownScenarios(config: Pick<RunbooksConfig, 'runbookDefinitions'>): string[] {
  return [...new Set([...BUILT_IN_SCENARIOS, ...config.runbookDefinitions.map((d) => d.scenario)])];
}

/**
 * Adds the definitions in `runbooks.directory` to the inline ones, and checks what names a scenario: one
 * definition per scenario, and every routed scenario built in or defined.
 */
function withRunbookDefinitions(config: RunbooksConfig, source: string): RunbooksConfig {
  let fromFiles;
  try {
    fromFiles = readRunbookDirectory(path.resolve(REPO_ROOT, config.runbooks.directory));
  } catch (err) {
    if (err instanceof RunbookDefinitionError) throw new ConfigError(err.message, `runbooks.directory`);
    throw err;
  }
  const definitions = [...config.runbookDefinitions, ...fromFiles];
  const seen = new Map<string, string>();
  for (const d of definitions) {
    const first = seen.get(d.scenario);
    if (first)
      throw new ConfigError(
        `${d.source}: scenario "${d.scenario}" is already defined by ${first}`,
        'runbookDefinitions',
      );
    seen.set(d.scenario, d.source);
  }
  // The TypeScript runbooks are frozen (workflows/legacy/): every built-in scenario runs on its definition.
  const missing = BUILT_IN_SCENARIOS.filter((scenario) => !seen.has(scenario));
  if (missing.length)
    throw new ConfigError(
      `${source}: invalid configuration at "runbooks.directory": ${config.runbooks.directory} has no definition of the built-in scenario${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')} (each needs a file such as ${missing[0]}.yaml, or an inline entry in runbookDefinitions)`,
      'runbooks.directory',
    );
  const known = knownScenarios({ runbookDefinitions: definitions });
  for (const [alertname, scenario] of Object.entries(config.routing.scenarioByAlertname))
    if (!known.includes(scenario))
      throw new ConfigError(
        `${source}: invalid configuration at "routing.scenarioByAlertname.${alertname}": unknown scenario "${scenario}" (allowed: ${known.join(', ')})`,
        `routing.scenarioByAlertname.${alertname}`,
      );
  return { ...config, runbookDefinitions: definitions };
}

/** The service's dashboard: its own `dashboardUrl`, else the global template with `{service}` filled in. */
export function dashboardFor(
  config: Pick<RunbooksConfig, 'services' | 'dashboardUrl'>,
  service: string,
): string | null {
  const own = Object.hasOwn(config.services, service) ? config.services[service].dashboardUrl : undefined;
  return own ?? config.dashboardUrl?.replaceAll('{service}', encodeURIComponent(service)) ?? null;
}

/**
 * Where a person sees an incident's workflow, its pending task and its failures: `watchdog.uiUrl`, else
 * TEMPORAL_UI_URL, else the dev server's UI.
 */
export function workflowUiLink(
  config: Pick<RunbooksConfig, 'watchdog'> | null,
  namespace: string,
  workflowId: string,
  env: Record<string, string | undefined> = process.env,
): string {
  const ui = (config?.watchdog.uiUrl ?? env.TEMPORAL_UI_URL ?? 'http://127.0.0.1:8233').replace(/\/$/, '');
  return `${ui}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}
