/** Arguments of notices: PagerDuty's updates, tickets, and revision 8's review meeting (contacts by name, e-mail). */
import type { Invitation } from '../domain/review-meeting';
import type { Severity } from '../domain/types';

/** A contact found by the name the timeline gives a person (revision 8: the review meeting's invitees). */
export interface NamedContact {
  id: string;
  name: string;
  slackUserId: string | null;
  /** Whether the configuration has an address for them (the address stays out of history). */
  email: boolean;
}

/** An e-mail to configured contacts, once per key; with an iCalendar invitation when `meeting` is set. */
export interface EmailNoticeArgs {
  incidentId: string;
  /** The notification key: the message's Message-ID is built from it. */
  key: string;
  contactIds: string[];
  subject: string;
  text: string;
  /** The invitation's event; its organizer and attendees are filled in from the configuration. */
  meeting?: Omit<Invitation, 'organizer' | 'attendees'>;
}

export interface PagingUpdateArgs {
  incidentId: string;
  action: 'acknowledge' | 'resolve';
  /** Older workflow code: every contact under the incident id as dedup key. */
  contactIds: string[];
  /** Each alert opened by a page: the contact and the page's dedup key. */
  alerts?: { contactId: string; dedupKey: string }[];
}

export interface TicketArgs {
  incidentId: string;
  service: string;
  severity: Severity;
  summary: string;
}
