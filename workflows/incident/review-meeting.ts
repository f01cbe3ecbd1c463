/**
 * Revision 8: the review meeting proposed when an incident closes, for the review child to send. Pure: `now`
 * is passed in.
 */
import { meetingStart, reviewInvitees, type ReviewMeetingProposal } from '../../domain/review-meeting';
import { plainText } from '../../domain/text';
import { policyLevel } from './ladder';
import type { IncidentState } from './state';
import { revisionAtLeast } from './transitions';
import { toView } from './view';

export const MEETING_REVISION = 8;

/** The schedules of the incident's first level, or none when its ladder has no level to read. */
function firstSchedules(state: IncidentState) {
  try {
    const level = policyLevel(state, 0);
    return [...(level.schedules ?? []), ...(level.schedule ? [level.schedule] : [])];
  } catch {
    return [];
  }
}

/** The meeting to propose, or undefined on older revisions and policies (the reminder alone, as before). */
export function meetingProposal(state: IncidentState, now: number): ReviewMeetingProposal | undefined {
  const settings = state.policy?.reviewMeeting;
  if (!settings || !revisionAtLeast(state, MEETING_REVISION)) return undefined;
  // The ladder's first level: its schedules' business hours are the team's working day.
  const schedules = firstSchedules(state);
  const closedAt = state.resolvedAt ?? now;
  const view = toView(state);
  return {
    closedAt,
    start: meetingStart(closedAt, settings.afterMs, schedules),
    durationMs: settings.durationMs,
    remindCommanderAfterMs: settings.remindCommanderAfterMs,
    invitees: reviewInvitees(view),
    commander: state.roles?.commander ?? state.acknowledgedBy,
    title: `[${state.input.severity}] ${plainText(state.input.service, 100)}: ${plainText(state.input.summary, 200)}`,
  };
}
