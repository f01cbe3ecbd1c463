import { readFileSync } from 'node:fs';
import path from 'node:path';
import { configSchema, type RunbooksConfig } from './schema';

export type { RunbooksConfig, ServiceConfig } from './schema';
export { parseDuration, formatDuration } from './duration';

export const DEFAULT_CONFIG_PATH = path.resolve(__dirname, 'durable-runbooks.json');

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
  if (result.success) return result.data;
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
