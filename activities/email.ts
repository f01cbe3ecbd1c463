/**
 * E-mail as a notification channel: every contact with an `email` hears of their page over SMTP (nodemailer),
 * in plain text, once. Each message's Message-ID is its notification key (the page's dedup key and the
 * contact); a ledger beside the notification journal remembers the keys the server accepted, so a retried
 * activity (a worker killed after the server said 250) does not send the message again. A receiving server
 * also folds a repeated Message-ID, for the rare crash between its answer and the ledger's line.
 */
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';
import type { RunbooksConfig } from '../config';
import { ownValue } from '../domain/policy';
import { plainText } from '../domain/text';
import { invitationIcs } from '../domain/review-meeting';
import type { DeliveryResult, EmailNoticeArgs, PageContactsArgs } from './contract';
import { activityLogger } from './log';
import { readSecret, type Env } from './secrets';

export interface EmailMessage {
  /** The notification key: `<…@domain>`. */
  messageId: string;
  to: string[];
  subject: string;
  text: string;
  /** An iCalendar invitation (METHOD:REQUEST), sent as the message's calendar part. */
  ical?: string;
}

/** Attempts per message within one activity attempt: a flaky server is retried here, briefly. */
const ATTEMPTS = 3;

/** The Message-IDs the server accepted, kept in a file beside the journal. */
export class EmailLedger {
  private sent: Set<string> | null = null;
  constructor(readonly file: string) {}
  private async load(): Promise<Set<string>> {
    if (!this.sent) {
      const text = await readFile(this.file, 'utf8').catch(() => '');
      this.sent = new Set(text.split('\n').filter(Boolean));
    }
    return this.sent;
  }
  async has(messageId: string): Promise<boolean> {
    return (await this.load()).has(messageId);
  }
  async add(messageId: string): Promise<void> {
    (await this.load()).add(messageId);
    await mkdir(path.dirname(this.file), { recursive: true });
    await appendFile(this.file, `${messageId}\n`, 'utf8');
  }
}

/** A header line from text anyone may have written: one line, no control characters. */
const headerText = (text: string, max = 200) => plainText(text, max).replace(/[\r\n]+/g, ' ');

export function createEmailActivities(config: RunbooksConfig, env: Env, ledger: EmailLedger) {
  const smtp = config.smtp;
  let transport: Transporter | null = null;
  const transporter = () => {
    if (!smtp) return null;
    const user = readSecret(env, smtp.userEnv);
    const pass = readSecret(env, smtp.passwordEnv);
    transport ??= nodemailer.createTransport({
      host: smtp.host,
      port: smtp.port,
      secure: smtp.secure,
      requireTLS: smtp.requireTls,
      ...(user && pass ? { auth: { user, pass } } : {}),
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 20_000,
    });
    return transport;
  };
  const domain = smtp ? /@([A-Za-z0-9.-]+)>?$/.exec(smtp.from)![1] : 'localhost';
  const fromAddress = smtp ? (/<([^>]+)>\s*$/.exec(smtp.from)?.[1] ?? smtp.from.trim()) : '';

  /** Sends one message unless the server already accepted its Message-ID; failures are answers, not throws. */
  async function send(message: EmailMessage, incidentId: string): Promise<DeliveryResult> {
    const mailer = transporter();
    const to = message.to.join(', ');
    if (!mailer) return { delivered: false, detail: 'no smtp configured' };
    if (await ledger.has(message.messageId))
      return { delivered: true, detail: `e-mailed ${to} (sent before: ${message.messageId})` };
    let last = '';
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      try {
        await mailer.sendMail({
          from: smtp!.from,
          to: message.to,
          subject: headerText(message.subject),
          text: message.text,
          messageId: message.messageId,
          ...(message.ical ? { icalEvent: { method: 'REQUEST', content: message.ical } } : {}),
        });
        await ledger.add(message.messageId);
        activityLogger(incidentId).info({ to: message.to, messageId: message.messageId }, 'e-mailed');
        return { delivered: true, detail: `e-mailed ${to}` };
      } catch (err) {
        // nodemailer's errors name the server's answer; never the login (it is not in the message).
        last = plainText((err as Error).message, 200);
        activityLogger(incidentId).warn({ to: message.to, attempt, error: last }, 'e-mail not sent');
        if (attempt < ATTEMPTS) await new Promise((r) => setTimeout(r, 500 * 2 ** attempt));
      }
    }
    return { delivered: false, detail: `e-mail to ${to} failed: ${last}` };
  }

  /** The page by e-mail to each paged contact who has an address: null when none has (or no smtp). */
  async function emailPage(args: PageContactsArgs): Promise<DeliveryResult | null> {
    if (!smtp) return null;
    const results: DeliveryResult[] = [];
    const key = (args.dedupKey ?? args.incidentId).replace(/[^\w.-]/g, '.');
    for (const contactId of args.contactIds) {
      const address = ownValue(config.contacts, contactId)?.email;
      if (!address) continue;
      results.push(
        await send(
          {
            messageId: `<${key}.${contactId.replace(/[^\w.-]/g, '.')}@${domain}>`,
            to: [address],
            subject: `[${args.severity}] ${args.service}: ${args.summary}`,
            text: [
              `You are paged for incident ${args.incidentId} (${args.levelName}).`,
              '',
              `Service:  ${plainText(args.service, 200)}`,
              `Severity: ${args.severity}`,
              `Summary:  ${plainText(args.summary, 2000)}`,
              `Why:      ${plainText(args.reason, 2000)}`,
              '',
              `Acknowledge: durable-runbooks incident ack ${args.incidentId}`,
            ].join('\n'),
          },
          args.incidentId,
        ),
      );
    }
    if (!results.length) return null;
    return {
      delivered: results.some((r) => r.delivered),
      detail: results.map((r) => r.detail).join('; '),
    };
  }

  /**
   * An e-mail to configured contacts with an address, in one message (the review meeting's invitation, with
   * the invitees as its attendees; the commander's reminder). Addresses are read here, never from history.
   */
  async function emailNotice(args: EmailNoticeArgs): Promise<DeliveryResult> {
    if (!smtp) return { delivered: false, detail: 'no smtp configured' };
    const attendees = args.contactIds.flatMap((id) => {
      const contact = ownValue(config.contacts, id);
      return contact?.email ? [{ name: contact.name, email: contact.email }] : [];
    });
    if (!attendees.length) return { delivered: false, detail: 'nobody to e-mail: no address configured' };
    const organizer = {
      name: /^"?([^"<]*?)"?\s*</.exec(smtp.from)?.[1] || 'Durable Runbooks',
      email: fromAddress,
    };
    return send(
      {
        messageId: `<${args.key.replace(/[^\w.-]/g, '.')}@${domain}>`,
        to: attendees.map((a) => a.email),
        subject: args.subject,
        text: args.text,
        ...(args.meeting && { ical: invitationIcs({ ...args.meeting, organizer, attendees }) }),
      },
      args.incidentId,
    );
  }

  return { send, emailPage, emailNotice };
}
