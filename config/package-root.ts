/**
 * The directory holding package.json: the checkout, or the installed package. Found by walking up, because
 * the same code runs from its sources (`config/`) and compiled (`dist/config/`).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

export const PACKAGE_ROOT = findPackageRoot(__dirname);

/** Whether this code runs compiled (`npm run build`, the image) rather than from its TypeScript sources. */
export const RUNS_COMPILED = __filename.endsWith('.js');

/** The package's version, from its package.json. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string })
    .version;
}
