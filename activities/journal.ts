import { createHash } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import { activityLogger } from './log';

export interface JournalEntry {
  kind: string;
  incidentId: string;
  [field: string]: unknown;
}

/** The activity execution writing, when there is one: its identity across retries, and which attempt this is. */
function currentActivity(): { execution: string; attempt: number } | undefined {
  try {
    const { workflowExecution, activityId, attempt } = Context.current().info;
    if (!workflowExecution) return undefined;
    return { execution: `${workflowExecution.workflowId}/${workflowExecution.runId}/${activityId}`, attempt };
  } catch {
    return undefined; // called outside an activity (a script or a test)
  }
}

/**
 * Zero-config notification sink: without Slack or PagerDuty credentials every notification is written to
 * the worker log and appended as one JSON line to the journal file.
 */
export class Journal {
  constructor(readonly file: string) {}

  /**
   * Appends `entry`, once per activity execution: a worker killed after the write but before it reported the
   * activity complete leaves the retry to find the line already there (as PagerDuty folds a repeated trigger
   * by its dedup key), so a chaos run's journal shows no page twice. Only retries read the file.
   */
  async write(entry: JournalEntry): Promise<void> {
    const activity = currentActivity();
    const once = activity
      ? `${activity.execution}#${createHash('sha256').update(JSON.stringify(entry)).digest('base64url').slice(0, 16)}`
      : undefined;
    if (once && activity!.attempt > 1 && (await this.has(once))) {
      activityLogger(entry.incidentId).info(
        { kind: entry.kind },
        'notification already written by an earlier attempt',
      );
      return;
    }
    const line = JSON.stringify({ at: new Date().toISOString(), ...entry, ...(once ? { once } : {}) });
    await mkdir(path.dirname(this.file), { recursive: true });
    await appendFile(this.file, line + '\n', 'utf8');
    activityLogger(entry.incidentId).info(
      { kind: entry.kind, journal: this.file },
      `notified (journal): ${String(entry.text ?? entry.summary ?? '').split('\n')[0]}`,
    );
  }

  private async has(once: string): Promise<boolean> {
    const text = await readFile(this.file, 'utf8').catch(() => '');
    return text.includes(`"once":${JSON.stringify(once)}`);
  }
}
