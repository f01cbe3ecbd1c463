import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { timelineLine } from '../domain/render';
import type { TimelineEntry } from '../domain/types';
import type { AppendTimelineArgs, WriteReviewArgs } from './contract';

function safeId(incidentId: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(incidentId))
    throw new Error(`unsafe incident id for a file name: ${incidentId}`);
  return incidentId;
}

/** `<directory>/<incident id>.timeline/`: the incident's append-only timeline journal, one file per batch. */
function journalDir(baseDir: string, directory: string, incidentId: string): string {
  return path.join(path.resolve(baseDir, directory), `${safeId(incidentId)}.timeline`);
}

/**
 * Appends a batch of timeline entries to the incident's journal, as JSON lines. Each batch is its own file
 * named by its position, so a retried activity rewrites what it wrote instead of appending twice.
 */
export async function appendTimeline(baseDir: string, args: AppendTimelineArgs): Promise<{ path: string }> {
  const dir = journalDir(baseDir, args.directory, args.incidentId);
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${String(args.firstSeq).padStart(9, '0')}.jsonl`);
  await writeFile(file, args.entries.map((e) => `${JSON.stringify(e)}\n`).join(''), 'utf8');
  return { path: path.relative(baseDir, file) || file };
}

/** Every entry of the journal, oldest first. */
export async function readTimelineJournal(
  baseDir: string,
  directory: string,
  incidentId: string,
): Promise<TimelineEntry[]> {
  const dir = journalDir(baseDir, directory, incidentId);
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.jsonl')).sort();
  const entries: TimelineEntry[] = [];
  for (const f of files)
    for (const line of (await readFile(path.join(dir, f), 'utf8')).split('\n'))
      if (line.trim()) entries.push(JSON.parse(line) as TimelineEntry);
  return entries;
}

/** Writes the review Markdown; the same incident always maps to the same file, so a retry overwrites. */
export async function writeReview(baseDir: string, args: WriteReviewArgs): Promise<{ path: string }> {
  const dir = path.resolve(baseDir, args.directory);
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${safeId(args.incidentId)}.md`);
  let markdown = args.markdown;
  if (args.journal?.entries) {
    // The workflow keeps only the newest entries; the journal holds the ones before them.
    const earlier = await readTimelineJournal(baseDir, args.directory, args.incidentId);
    const at = markdown.indexOf(args.journal.insertAfter);
    if (at >= 0) {
      const cut = at + args.journal.insertAfter.length;
      const lines = earlier.map((e) => `${timelineLine(e, args.journal!.createdAt)}\n`).join('');
      const missing = args.journal.entries - earlier.length;
      const note = missing > 0 ? `- _${missing} earlier entries are missing from the journal_\n` : '';
      markdown = `${markdown.slice(0, cut)}${note}${lines}${markdown.slice(cut)}`;
    }
  }
  await writeFile(file, markdown, 'utf8');
  return { path: path.relative(baseDir, file) || file };
}
