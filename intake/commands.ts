/**
 * Sending a person's command to an incident, for the CLI, Slack buttons and PagerDuty webhooks: as an
 * Update, so the person learns "already resolved" or "no step X is waiting" instead of "sent".
 */
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { COMMANDS } from '../domain/messages';
import type { CommandName } from '../workflows/incident/commands';

export type CommandOutcome =
  { accepted: true; message: string; status?: string } | { accepted: false; reason: string };

export async function sendCommand(
  handle: WorkflowHandle,
  name: CommandName,
  args: Record<string, unknown>,
): Promise<CommandOutcome> {
  const { update, signal } = COMMANDS[name];
  try {
    const result = await handle.executeUpdate(update as never, { args: [args as never] });
    const { message, status } = result as { message: string; status: string };
    return { accepted: true, message, status };
  } catch (err) {
    if (!(err instanceof WorkflowUpdateFailedError)) throw err;
    const reason = err.cause?.message ?? err.message;
    // Incidents opened before commands became Updates have no Update handlers: they take the Signal,
    // which cannot tell whether it applied.
    if (/No registered handler for update/.test(reason)) {
      await handle.signal(signal as never, args as never);
      return { accepted: true, message: `${name} sent (this incident predates answers to commands)` };
    }
    return { accepted: false, reason };
  }
}
