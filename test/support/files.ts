import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** Every file under `dir` but node_modules, relative to it: what an image or a package would hold. */
export function filesUnder(dir: string, rel = ''): string[] {
  return readdirSync(path.join(dir, rel), { withFileTypes: true }).flatMap((e) =>
    e.name === 'node_modules'
      ? []
      : e.isDirectory()
        ? filesUnder(dir, path.join(rel, e.name))
        : [path.join(rel, e.name)],
  );
}

/** A process's log (`config/logger.ts`) as the objects of its JSON lines; a line that starts as one must be one. */
export function jsonLines(output: string): Record<string, unknown>[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** A log file's JSON lines (`jsonLines`). */
export function jsonLinesIn(file: string): Record<string, unknown>[] {
  return jsonLines(readFileSync(file, 'utf8'));
}

/** What a process said as it stopped at start-up: the messages of its log's fatal lines. */
export function fatalOf(output: string): string {
  return jsonLines(output)
    .filter((line) => line.level === 'fatal')
    .map((line) => String(line.msg))
    .join('\n');
}
