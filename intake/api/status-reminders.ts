/**
 * The seed's "next update in 30 minutes", kept: when a public update's next one is due and nobody has
 * published it, the incident gets a note saying so, naming its commander (who acknowledged it). The note is
 * the incident's own Update, so it is in the timeline and in the Slack thread, where the commander is.
 * The API process sweeps the store every minute; each reminder is claimed in the store first, so replicas
 * send it once, and given back when the incident could not be reached, so the next sweep tries again.
 */
import type { Logger } from '../../config/logger';
import {
  claimReminder,
  dueStatusReminders,
  releaseReminder,
  type DueReminder,
  type SqlClient,
} from '../../store';
import { sendCommand } from '../commands';
import { withinDeadline, type TemporalAccess } from './routes/commands';

const SWEEP_MS = 60_000;
export const REMINDER_BY = 'status page reminder';

export function reminderText(r: DueReminder): string {
  const who = r.acknowledgedBy ?? 'nobody has acknowledged it: responders';
  return (
    `Status page: the next public update for customers was due at ${r.nextUpdateAt} ` +
    `(the last, "${r.status}", was published at ${r.publishedAt}). ${who}: publish one from the console ` +
    `or POST /api/v1/incidents/${r.incidentId}/status-updates.`
  );
}

export interface ReminderDeps {
  db: SqlClient;
  temporal: TemporalAccess;
  logger?: Logger;
}

/** Sends the reminders due at `now`; answers how many were delivered. */
export async function remindDue(deps: ReminderDeps, now = Date.now()): Promise<number> {
  let sent = 0;
  for (const due of await dueStatusReminders(deps.db, new Date(now).toISOString())) {
    if (!(await claimReminder(deps.db, due.updateId))) continue;
    try {
      const handle = deps.temporal.client.workflow.getHandle(due.workflowId);
      const outcome = await withinDeadline(deps.temporal, () =>
        sendCommand(handle, 'addNote', {
          text: reminderText(due),
          by: REMINDER_BY,
          incident: due.incidentId,
        }),
      );
      // A refusal (the incident closed meanwhile) stays claimed: there is nobody left to remind.
      if (outcome.accepted) sent += 1;
    } catch (err) {
      await releaseReminder(deps.db, due.updateId);
      deps.logger?.warn({ err, incidentId: due.incidentId }, 'status page reminder not delivered: retrying');
    }
  }
  return sent;
}

/** Sweeps every minute until stopped. */
export function startStatusReminders(deps: ReminderDeps, everyMs = SWEEP_MS): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    remindDue(deps)
      .catch((err: Error) => deps.logger?.warn({ err }, 'status page reminders: the sweep failed'))
      .finally(() => (running = false));
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
