import { readdirSync } from 'node:fs';
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
