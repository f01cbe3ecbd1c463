/** Revision 8's review meeting: when it is proposed for, who is invited, and its iCalendar invitation. */
import { invitationIcs, meetingStart, reviewInvitees } from '../../../domain/review-meeting';
import type { TimelineEntry } from '../../../domain/types';
import { contactsNamed } from '../../../activities/policy';
import { testConfig } from '../../../scripts/testbed/config';

const HOUR = 3_600_000;
const WEEKDAYS = { days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '09:00', to: '17:00' };

test('the meeting starts on the half hour after the wait, and inside the schedule hours when it has them', () => {
  const tuesday1012 = Date.parse('2026-12-08T10:12:00Z');
  expect(new Date(meetingStart(tuesday1012, 4 * HOUR, [])).toISOString()).toBe('2026-12-08T14:30:00.000Z');
  const utc = { timeZone: 'UTC', businessHours: WEEKDAYS } as never;
  // Friday 16:00 + 4 h is Friday evening: the next business hours start on Monday.
  const friday16 = Date.parse('2026-12-11T16:00:00Z');
  expect(new Date(meetingStart(friday16, 4 * HOUR, [utc])).toISOString()).toBe('2026-12-14T09:00:00.000Z');
  expect(new Date(meetingStart(tuesday1012, 4 * HOUR, [utc])).toISOString()).toBe('2026-12-08T14:30:00.000Z');
  // Berlin's 09:00 is 08:00 UTC in winter; a schedule without hours takes nothing from it.
  const berlin = { timeZone: 'Europe/Berlin', businessHours: WEEKDAYS } as never;
  const none = { timeZone: 'UTC' } as never;
  expect(new Date(meetingStart(friday16, 4 * HOUR, [berlin, none])).toISOString()).toBe(
    '2026-12-14T08:00:00.000Z',
  );
});

test('everyone who acted, held a role or answered as a responder is invited once; the system is not', () => {
  const entry = (actor: string | undefined) => ({ actor }) as TimelineEntry;
  expect(
    reviewInvitees({
      timeline: [
        entry('alerts'),
        entry('alice'),
        entry(undefined),
        entry('Temporal'),
        entry('bob'),
        entry('alice'),
      ],
      roles: { commander: 'carol', scribe: 'alice' },
      responders: [{ answeredBy: 'dave' }, { answeredBy: null }] as never,
    }),
  ).toEqual(['alice', 'bob', 'carol', 'dave']);
});

test('the invitation is iCalendar: CRLF, folded at 75 octets, text escaped, hostile names kept in their place', () => {
  const ics = invitationIcs({
    uid: 'incident-1-review',
    sequence: 2,
    stamp: Date.parse('2026-12-07T10:00:00Z'),
    start: Date.parse('2026-12-07T14:30:00Z'),
    durationMs: HOUR,
    summary: 'Post-incident review: [P1] checkout; down, again',
    description: `line one\nline two \\ with a very long tail ${'é'.repeat(60)}`,
    organizer: { name: 'Durable Runbooks', email: 'runbooks@example.com' },
    attendees: [
      { name: 'Eve"\r\nATTENDEE:mailto:evil@example.com', email: 'eve@example.com\r\nX-INJECTED:1' },
    ],
  });
  expect(ics.endsWith('\r\n')).toBe(true);
  const lines = ics.split('\r\n').slice(0, -1);
  for (const line of lines) expect(Buffer.byteLength(line)).toBeLessThanOrEqual(75);
  const unfolded = ics.replace(/\r\n /g, '').split('\r\n');
  expect(unfolded).toEqual(
    expect.arrayContaining([
      'METHOD:REQUEST',
      'UID:incident-1-review',
      'SEQUENCE:2',
      'DTSTAMP:20261207T100000Z',
      'DTSTART:20261207T143000Z',
      'DTEND:20261207T153000Z',
      'SUMMARY:Post-incident review: [P1] checkout\\; down\\, again',
      `DESCRIPTION:line one\\nline two \\\\ with a very long tail ${'é'.repeat(60)}`,
      'ORGANIZER;CN="Durable Runbooks":mailto:runbooks@example.com',
    ]),
  );
  // One attendee line: the name's quote and line break cannot open another property.
  const attendees = unfolded.filter((l) => l.startsWith('ATTENDEE'));
  expect(attendees).toEqual([
    'ATTENDEE;CN="Eve ATTENDEE:mailto:evil@example.com";ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:eve@example.comX-INJECTED1',
  ]);
  expect(unfolded.some((l) => l.startsWith('X-INJECTED'))).toBe(false);
  // A fold never splits a character.
  expect(ics).not.toContain('\ufffd');
});

test('contacts are found by id, name or channel handle, as the timeline names people', () => {
  const config = testConfig({
    contacts: { amy: { name: 'Amy', email: 'amy@example.com', slackUserId: 'U0AMY' } },
  });
  const found = contactsNamed(config, [
    'amy',
    'AMY',
    'Amy (slack:U0AMY)',
    'slack:U0PRIMARY (someone)',
    'api:tech-lead',
    'pagerduty:P0SECONDARY',
    'nobody',
  ]);
  expect(found.map((c) => c && [c.id, c.email, c.slackUserId])).toEqual([
    ['amy', true, 'U0AMY'],
    ['amy', true, 'U0AMY'],
    ['amy', true, 'U0AMY'],
    ['primary-oncall', false, 'U0PRIMARY'],
    ['tech-lead', false, 'U0TECHLEAD'],
    ['secondary-oncall', false, 'U0SECONDARY'],
    null,
  ]);
});
