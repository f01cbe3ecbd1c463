/**
 * A real SMTP receiver for tests (the `smtp-server` package): it parses every message it accepts, and can
 * hold its answer to DATA, as a slow server does. A message counts as delivered only once the server has
 * answered 250 on a connection still open: one whose client died first was never accepted (RFC 5321).
 */
import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  /** When the server accepted it (epoch ms). */
  at: number;
  messageId: string;
  from: string;
  to: string[];
  subject: string;
  text: string;
  /** The iCalendar part, when the message has one. */
  calendar: string | null;
}

export class SmtpReceiver {
  readonly received: ReceivedMail[] = [];
  /** Messages received in full whose answer the server is holding (`holdMs`). */
  held = 0;
  /** Messages whose client went away before the server answered: never accepted. */
  discarded = 0;
  /** While set, the answer to DATA waits this long. */
  holdMs = 0;
  private server: SMTPServer | null = null;
  /** Releases of the answers being held, by session: a closed connection or `stop` lets them go. */
  private readonly holds = new Map<string, () => void>();
  port = 0;

  async start(): Promise<void> {
    const closed = new Set<string>();
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onClose: (session) => {
        closed.add(session.id);
        this.holds.get(session.id)?.();
      },
      onData: (stream, session, callback) => {
        simpleParser(stream)
          .then(async (mail) => {
            if (this.holdMs) {
              this.held += 1;
              await new Promise<void>((resolve) => {
                const release = () => (clearTimeout(timer), this.holds.delete(session.id), resolve());
                const timer = setTimeout(release, this.holdMs);
                this.holds.set(session.id, release);
              });
              this.held -= 1;
            }
            // The client is gone: nothing was accepted.
            if (closed.has(session.id)) return void (this.discarded += 1);
            const to = [mail.to ?? []].flat().flatMap((a) => a.value.map((v) => v.address ?? ''));
            const calendar = mail.attachments.find((a) => a.contentType === 'text/calendar');
            this.received.push({
              at: Date.now(),
              messageId: mail.messageId ?? '',
              from: mail.from?.text ?? '',
              to,
              subject: mail.subject ?? '',
              text: mail.text ?? '',
              calendar: calendar ? calendar.content.toString('utf8') : null,
            });
            callback();
          })
          .catch((err: Error) => callback(err));
      },
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const release of [...this.holds.values()]) release();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** The `smtp` settings that send here. */
  settings() {
    return { host: '127.0.0.1', port: this.port, from: 'Durable Runbooks <runbooks@example.com>' };
  }
}
