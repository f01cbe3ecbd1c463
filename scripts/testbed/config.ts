import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseConfig, type RunbooksConfig } from '../../config';
import raw from '../../config/durable-runbooks.json';

type Patch = { [key: string]: unknown };

function merge(base: unknown, patch: unknown): unknown {
  if (patch === undefined) return base;
  if (
    patch === null ||
    typeof patch !== 'object' ||
    Array.isArray(patch) ||
    base === null ||
    typeof base !== 'object' ||
    Array.isArray(base)
  )
    return patch;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(patch)) out[k] = merge(out[k], v);
  return out;
}

/** The shipped configuration file's content with a deep patch (what a RUNBOOKS_CONFIG file would hold). */
export function rawTestConfig(patch: Patch = {}): unknown {
  return merge(JSON.parse(JSON.stringify(raw)), patch);
}

/** Writes `rawTestConfig(patch)` as `<dir>/config.json` for a process started with RUNBOOKS_CONFIG; its path. */
export function writeTestConfig(dir: string, patch: Patch = {}): string {
  const file = path.join(dir, 'config.json');
  writeFileSync(file, JSON.stringify(rawTestConfig(patch)));
  return file;
}

/** The shipped configuration with a deep patch, validated like production config. */
export function testConfig(patch: Patch = {}): RunbooksConfig {
  return parseConfig(rawTestConfig(patch), 'test config');
}

/**
 * The configuration with the intake's per-source rate limit and load shedding lifted: for tests and benchmarks
 * that post thousands of alerts from one process on purpose, to measure the engine rather than the limiter.
 */
export function withoutIntakeLimits(config: RunbooksConfig): RunbooksConfig {
  return {
    ...config,
    intake: {
      ...config.intake,
      rateLimit: { max: 1_000_000, unauthenticatedMax: 1_000_000, window: 1000 },
      maxEventLoopDelay: 60_000,
    },
  };
}
