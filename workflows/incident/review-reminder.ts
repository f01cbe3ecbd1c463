import { condition, proxyActivities, setHandler } from '@temporalio/workflow';
import type { IncidentActivities, SlackThreadRef } from '../../activities/contract';
import { reviewScheduledSignal, SIGNAL_DESCRIPTIONS } from '../../domain/messages';

const { postThreadMessage } = proxyActivities<IncidentActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '5m', maximumAttempts: 20 },
});

export interface ReviewReminderInput {
  incidentId: string;
  reviewPath: string;
  thread: SlackThreadRef | null;
  remindAfterMs: number;
}

/**
 * Outlives its incident (started with parent-close policy ABANDON) so the incident can complete at
 * resolution while the 24-hour reminder still stands. `reviewScheduled` cancels the reminder.
 */
export async function reviewReminderWorkflow(input: ReviewReminderInput): Promise<'scheduled' | 'reminded'> {
  let scheduledBy: string | null = null;
  setHandler(
    reviewScheduledSignal,
    ({ by }) => {
      scheduledBy = by || 'unknown';
    },
    { description: SIGNAL_DESCRIPTIONS.reviewScheduled },
  );
  if (await condition(() => scheduledBy !== null, input.remindAfterMs)) return 'scheduled';
  await postThreadMessage({
    incidentId: input.incidentId,
    thread: input.thread,
    text: `:memo: Reminder: the post-incident review for ${input.incidentId} (${input.reviewPath}) is not scheduled yet. Schedule a 1-hour blameless review and signal \`reviewScheduled\`.`,
  });
  return 'reminded';
}
