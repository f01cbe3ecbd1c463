/** Argument parsing for every command: `node:util` parseArgs, strict, so a mistyped flag is refused. */
import { parseArgs } from 'node:util';

/** A usage error: printed with the command's usage, exit 2. */
export class UsageError extends Error {}

export type FlagSpec = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;

export interface Parsed {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
  help: boolean;
}

/** Parses `argv` against `flags` (plus -h/--help); an unknown flag or a missing value is a UsageError. */
export function parse(argv: readonly string[], flags: FlagSpec): Parsed {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: { ...flags, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
    const { help, ...rest } = values as Record<string, string | boolean | string[] | undefined>;
    return { values: rest, positionals, help: help === true };
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** `--help` of a group or of one of its commands: that command's line (with the exit codes), else the group's. */
export function helpFor(
  group: string,
  commands: ReadonlyArray<readonly [string, string]>,
  usage: string,
  command: string | undefined,
  exitCodes: string,
): string {
  const line = commands.find(([c]) => c.split(' ')[0] === command);
  return line ? `usage: durable-runbooks ${group} ${line[0]}\n  ${line[1]}\n${exitCodes}` : usage;
}

/** A string flag's value, or undefined. */
export function flag(parsed: Parsed, name: string): string | undefined {
  const v = parsed.values[name];
  return typeof v === 'string' ? v : undefined;
}

/** Usage text for a command group: its commands, one per line, aligned. */
export function usageOf(
  prefix: string,
  commands: ReadonlyArray<readonly [string, string]>,
  footer = '',
): string {
  const width = Math.max(...commands.map(([c]) => c.length)) + 2;
  const lines = commands.map(([c, about]) => `  ${c.padEnd(width)}${about}`);
  return [`usage: ${prefix} <command> [flags]`, ...lines, ...(footer ? [footer] : [])].join('\n');
}
