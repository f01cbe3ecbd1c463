/**
 * The post-incident review meeting (engine revision 8): when it is proposed for, who is invited, and the
 * iCalendar invitation (RFC 5545) e-mailed to them. Pure: the workflow decides, activities send.
 */
import { nextBusinessInstant, type OnCallSchedule } from './oncall';
import { plainText } from './text';
import type { IncidentStatusView } from './types';

/** Timeline actors that are the system, not people. */
export const SYSTEM_ACTORS = new Set(['alerts', 'Temporal', 'status page reminder', 'unknown']);

/** Everyone who acted on the incident, in the order they first did. */
export function actedBy(view: Pick<IncidentStatusView, 'timeline'>): string[] {
  return [
    ...new Set(view.timeline.flatMap((e) => (e.actor && !SYSTEM_ACTORS.has(e.actor) ? [e.actor] : []))),
  ];
}

/** Who is invited to the review: everyone who acted, held a role or answered as an added responder. */
export function reviewInvitees(
  view: Pick<IncidentStatusView, 'timeline' | 'roles' | 'responders'>,
): string[] {
  return [
    ...new Set([
      ...actedBy(view),
      ...Object.values(view.roles ?? {}).filter((p): p is string => !!p),
      ...(view.responders ?? []).flatMap((r) => (r.answeredBy ? [r.answeredBy] : [])),
    ]),
  ];
}

/** Revision 8: the meeting proposed at close (docs/escalation.md, "The review meeting"). */
export interface ReviewMeetingProposal {
  /** Epoch ms: the close, the meeting's start. */
  closedAt: number;
  start: number;
  durationMs: number;
  remindCommanderAfterMs: number;
  /** The timeline's names of everyone who responded. */
  invitees: string[];
  /** The commander, else the acknowledger: reminded when nobody confirms the meeting. */
  commander: string | null;
  title: string;
}

const HALF_HOUR = 1_800_000;

/**
 * The meeting's start: the first half hour at least `afterMs` after the close, moved to the next business
 * hours' start of the incident's first schedules when they have hours and it falls outside them.
 */
export function meetingStart(
  closedAt: number,
  afterMs: number,
  schedules: Pick<OnCallSchedule, 'timeZone' | 'businessHours'>[],
): number {
  const earliest = Math.ceil((closedAt + afterMs) / HALF_HOUR) * HALF_HOUR;
  const withHours = schedules.filter((s) => s.businessHours);
  return withHours.length ? Math.min(...withHours.map((s) => nextBusinessInstant(s, earliest))) : earliest;
}

export interface Invitation {
  /** Stable across updates of the same meeting (a calendar replaces the event of that UID). */
  uid: string;
  /** 0 for the proposal; one more for each change of time. */
  sequence: number;
  /** When the invitation was written (DTSTAMP): passed in, so a retried send writes the same message. */
  stamp: number;
  start: number;
  durationMs: number;
  summary: string;
  description: string;
  organizer: { name: string; email: string };
  attendees: { name: string; email: string }[];
}

const utc = (ms: number) =>
  new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
/** A TEXT value: each line plain text, then backslash, semicolon and comma escaped, lines joined by `\n`. */
const text = (value: string) =>
  value
    .split(/\r?\n/)
    .map((line) => plainText(line, 2000).replace(/[\\;,]/g, (c) => `\\${c}`))
    .join('\\n');
/** A parameter value (CN): quoted, with what a quoted value cannot hold removed. */
const param = (value: string) => `"${plainText(value, 200).replace(/"/g, '')}"`;
/** An address in a mailto: URI: one that cannot break the line or the property. */
const mailto = (email: string) => `mailto:${plainText(email, 320).replace(/[\s:;,"<>]/g, '')}`;

/** Lines longer than 75 octets are folded (CRLF and a space), never inside a UTF-8 character. */
function fold(line: string): string {
  const out: string[] = [];
  let current = '';
  let octets = 0;
  for (const ch of line) {
    const code = ch.codePointAt(0)!;
    const size = code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
    if (octets + size > (out.length ? 74 : 75)) {
      out.push(current);
      current = '';
      octets = 0;
    }
    current += ch;
    octets += size;
  }
  out.push(current);
  return out.join('\r\n ');
}

/** The invitation as an iCalendar object (METHOD:REQUEST), CRLF line ends as the format asks. */
export function invitationIcs(inv: Invitation): string {
  return [
    'BEGIN:VCALENDAR',
    'PRODID:-//Durable Runbooks//Post-incident review//EN',
    'VERSION:2.0',
    'CALSCALE:GREGORIAN',
    'METHOD:REQUEST',
    'BEGIN:VEVENT',
    `UID:${text(inv.uid)}`,
    `SEQUENCE:${inv.sequence}`,
    `DTSTAMP:${utc(inv.stamp)}`,
    `DTSTART:${utc(inv.start)}`,
    `DTEND:${utc(inv.start + inv.durationMs)}`,
    `SUMMARY:${text(inv.summary)}`,
    `DESCRIPTION:${text(inv.description)}`,
    `ORGANIZER;CN=${param(inv.organizer.name)}:${mailto(inv.organizer.email)}`,
    ...inv.attendees.map(
      (a) =>
        `ATTENDEE;CN=${param(a.name)};ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:${mailto(a.email)}`,
    ),
    'STATUS:CONFIRMED',
    'TRANSP:OPAQUE',
    'END:VEVENT',
    'END:VCALENDAR',
  ]
    .map(fold)
    .join('\r\n')
    .concat('\r\n');
}
