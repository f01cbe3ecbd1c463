import {
  condition,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { IncidentActivities, NamedContact, SlackThreadRef } from '../../activities/contract';
import {
  reviewMeetingQuery,
  reviewScheduledSignal,
  SIGNAL_DESCRIPTIONS,
  type ReviewMeetingView,
} from '../../domain/messages';
import type { ReviewMeetingProposal } from '../../domain/review-meeting';
import { slackText } from '../../domain/text';

const { postThreadMessage, emailNotice } = proxyActivities<IncidentActivities>({
  startToCloseTimeout: '30s',
  heartbeatTimeout: '10s',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '5m', maximumAttempts: 20 },
});
const { contactsNamed } = proxyLocalActivities<IncidentActivities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumAttempts: 3 },
});

export interface ReviewReminderInput {
  incidentId: string;
  reviewPath: string;
  thread: SlackThreadRef | null;
  remindAfterMs: number;
  meeting?: ReviewMeetingProposal;
}

const when = (ms: number) => `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;

/**
 * Outlives its incident (started with parent-close policy ABANDON) so the incident can complete at
 * resolution while the 24-hour reminder still stands. `reviewScheduled` cancels the reminders. With a
 * meeting (revision 8) it first invites everyone who responded, and reminds the commander when nobody
 * confirmed the meeting after `remindCommanderAfterMs`.
 */
export async function reviewReminderWorkflow(input: ReviewReminderInput): Promise<'scheduled' | 'reminded'> {
  let scheduledBy: string | null = null;
  let scheduledWhen: string | null = null;
  setHandler(
    reviewScheduledSignal,
    ({ by, when }) => {
      scheduledBy = by || 'unknown';
      if (typeof when === 'string') scheduledWhen = when;
    },
    { description: SIGNAL_DESCRIPTIONS.reviewScheduled },
  );
  const scheduled = () => scheduledBy !== null;
  let reminded = false;
  setHandler(reviewMeetingQuery, () => meetingView(input, scheduledBy, scheduledWhen, reminded));
  let waited = 0;
  if (input.meeting) {
    const meeting = input.meeting;
    await proposeMeeting(input, meeting);
    waited = meeting.remindCommanderAfterMs;
    if (await condition(scheduled, waited)) return confirmed(input, meeting, scheduledWhen);
    await remindCommander(input, meeting);
  }
  if (await condition(scheduled, Math.max(0, input.remindAfterMs - waited)))
    return input.meeting ? confirmed(input, input.meeting, scheduledWhen) : 'scheduled';
  await postThreadMessage({
    incidentId: input.incidentId,
    thread: input.thread,
    text: `:memo: Reminder: the post-incident review for ${input.incidentId} (${input.reviewPath}) is not scheduled yet. Schedule a 1-hour blameless review and signal \`reviewScheduled\`.`,
  });
  reminded = true;
  return 'reminded';
}

/** The query's answer: a confirmation's valid new time is the meeting's start, as `confirmed` sends it. */
function meetingView(
  input: ReviewReminderInput,
  by: string | null,
  moved: string | null,
  reminded: boolean,
): ReviewMeetingView {
  const m = input.meeting;
  const movedTo = moved === null ? NaN : Date.parse(moved);
  return {
    incidentId: input.incidentId,
    reviewPath: input.reviewPath,
    meeting: m
      ? {
          start: new Date(Number.isFinite(movedTo) ? movedTo : m.start).toISOString(),
          durationMinutes: Math.round(m.durationMs / 60_000),
          invitees: m.invitees,
          commander: m.commander,
        }
      : null,
    confirmedBy: by,
    state: by !== null ? 'confirmed' : reminded ? 'reminded' : 'waiting',
  };
}

const CONFIRM = (id: string) =>
  `Confirm it (or say when instead) with \`durable-runbooks incident review-scheduled ${id}\`.`;

/** Invites everyone who responded (`sequence` 0), or tells them of the new time (1). */
async function proposeMeeting(
  input: ReviewReminderInput,
  meeting: ReviewMeetingProposal,
  sequence = 0,
): Promise<void> {
  const contacts: (NamedContact | null)[] = await contactsNamed({ names: meeting.invitees }).catch(() => []);
  const known = contacts.filter((c): c is NamedContact => c !== null);
  const byMail = known.filter((c) => c.email);
  const unreachable = meeting.invitees.filter((_, i) => !contacts[i]?.email);
  const at = `${when(meeting.start)}, ${Math.round(meeting.durationMs / 60_000)} minutes`;
  const mailed = byMail.length
    ? await emailNotice({
        incidentId: input.incidentId,
        // The child's id: a reopened incident's second close proposes a meeting of its own.
        key: `${workflowInfo().workflowId}.${sequence}`,
        contactIds: byMail.map((c) => c.id),
        subject: `${sequence ? 'Moved: ' : ''}Post-incident review: ${meeting.title}`,
        text: [
          `A blameless post-incident review of ${input.incidentId} is ${sequence ? 'moved to' : 'proposed for'} ${at}.`,
          '',
          `Incident: ${meeting.title}`,
          `Review:   ${input.reviewPath}`,
          ...(sequence ? [] : ['', CONFIRM(input.incidentId)]),
        ].join('\n'),
        meeting: {
          uid: workflowInfo().workflowId,
          sequence,
          stamp: meeting.closedAt,
          start: meeting.start,
          durationMs: meeting.durationMs,
          summary: `Post-incident review: ${meeting.title}`,
          description: `Blameless review of ${input.incidentId}. The review: ${input.reviewPath}`,
        },
      })
    : { delivered: false, detail: 'nobody has an e-mail address' };
  const mentions = known.map((c) => (c.slackUserId ? `<@${c.slackUserId}>` : slackText(c.name, 80)));
  await postThreadMessage({
    incidentId: input.incidentId,
    thread: input.thread,
    text: [
      `:calendar: Post-incident review ${sequence ? 'moved to' : 'proposed for'} ${at}.`,
      `Invited: ${[...mentions, ...meeting.invitees.filter((_, i) => !contacts[i]).map((n) => slackText(n, 80))].join(', ') || 'nobody responded'}.`,
      mailed.delivered
        ? `Invitation e-mailed to ${byMail.map((c) => slackText(c.name, 80)).join(', ')}.`
        : `No invitation e-mailed (${slackText(mailed.detail, 200)}).`,
      ...(unreachable.length
        ? [`Not invited by e-mail: ${unreachable.map((n) => slackText(n, 80)).join(', ')}.`]
        : []),
      ...(sequence ? [] : [CONFIRM(input.incidentId)]),
    ].join('\n'),
  });
}

/** A confirmation that names another time (an ISO instant) moves the meeting: the invitation is updated. */
async function confirmed(
  input: ReviewReminderInput,
  meeting: ReviewMeetingProposal,
  when: string | null,
): Promise<'scheduled'> {
  const start = when === null ? NaN : Date.parse(when);
  if (!Number.isFinite(start) || start === meeting.start) return 'scheduled';
  await proposeMeeting(input, { ...meeting, start }, 1);
  return 'scheduled';
}

async function remindCommander(input: ReviewReminderInput, meeting: ReviewMeetingProposal): Promise<void> {
  const [commander] = meeting.commander
    ? await contactsNamed({ names: [meeting.commander] }).catch(() => [null])
    : [null];
  const who = commander?.slackUserId
    ? `<@${commander.slackUserId}>`
    : slackText(meeting.commander ?? 'Incident commander', 80);
  const text = `the post-incident review of ${input.incidentId}, proposed for ${when(meeting.start)}, is not confirmed yet.`;
  await postThreadMessage({
    incidentId: input.incidentId,
    thread: input.thread,
    text: `:memo: ${who}: ${text} ${CONFIRM(input.incidentId)}`,
  });
  if (commander?.email)
    await emailNotice({
      incidentId: input.incidentId,
      key: `${workflowInfo().workflowId}.reminder`,
      contactIds: [commander.id],
      subject: `Not confirmed: post-incident review of ${meeting.title}`,
      text: `${commander.name}: ${text}\n\n${CONFIRM(input.incidentId)}`,
    });
}
