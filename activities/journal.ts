import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';

export interface JournalEntry {
  kind: string;
  incidentId: string;
  [field: string]: unknown;
}

/**
 * Zero-config notification sink: without Slack or PagerDuty credentials every notification is written to
 * the worker log and appended as one JSON line to the journal file.
 */
export class Journal {
  constructor(
    readonly file: string,
    private readonly log: (line: string) => void = (line) => console.log(line),
  ) {}

  async write(entry: JournalEntry): Promise<void> {
    const line = JSON.stringify({ at: new Date().toISOString(), ...entry });
    await mkdir(path.dirname(this.file), { recursive: true });
    await appendFile(this.file, line + '\n', 'utf8');
    this.log(
      `[notify] ${entry.kind} ${entry.incidentId}: ${String(entry.text ?? entry.summary ?? '').split('\n')[0]}`,
    );
  }
}
