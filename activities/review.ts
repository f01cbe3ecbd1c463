import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { WriteReviewArgs } from './contract';

/** Writes the review Markdown; the same incident always maps to the same file, so a retry overwrites. */
export async function writeReview(baseDir: string, args: WriteReviewArgs): Promise<{ path: string }> {
  if (!/^[A-Za-z0-9._-]+$/.test(args.incidentId))
    throw new Error(`unsafe incident id for a file name: ${args.incidentId}`);
  const dir = path.resolve(baseDir, args.directory);
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${args.incidentId}.md`);
  await writeFile(file, args.markdown, 'utf8');
  return { path: path.relative(baseDir, file) || file };
}
