/** `smtp`: e-mail as a notification channel (nodemailer over SMTP); credentials come from the environment. */
import { z } from 'zod';
import { envName } from './zod-types';

export const smtpSchema = z
  .strictObject({
    host: z.string().min(1),
    /** 587 (STARTTLS) by default; 465 with `secure`. */
    port: z.number().int().min(1).max(65535).default(587),
    /** TLS from the first byte (port 465); otherwise STARTTLS when the server offers it. */
    secure: z.boolean().default(false),
    /** Refuse to send unless the server upgrades to TLS (STARTTLS). */
    requireTls: z.boolean().default(false),
    /** The sender, `Name <address>` or an address; its domain names every Message-ID. */
    from: z
      .string()
      .regex(/@[A-Za-z0-9.-]+>?$/, 'expected an address such as "Runbooks <runbooks@example.com>"'),
    /** Environment variables holding the login, when the server asks for one. */
    userEnv: envName.optional(),
    passwordEnv: envName.optional(),
  })
  .nullable()
  .default(null);
