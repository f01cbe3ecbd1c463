import { z } from 'zod';
import { parseDuration } from './duration';

const duration = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) {
    ctx.addIssue({ code: 'custom', message: `expected a duration like "15m" or "1h", got "${text}"` });
    return z.NEVER;
  }
  return ms;
});
const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'expected the name of an environment variable');
const severity = z.enum(['P1', 'P2', 'P3']);
const scenario = z.enum(['wont-start', 'high-memory', 'pool-exhausted', 'health']);

const severityRule = z.strictObject({
  respondWithin: duration,
  /** How the first level hears of it: a page, a Slack mention, or a ticket only. */
  notify: z.enum(['page', 'slack', 'ticket']),
  /** Whether unacknowledged incidents climb the ladder. */
  escalate: z.boolean(),
  notifyManagement: z.boolean().default(false),
  statusUpdateEvery: duration.nullable().default(null),
  /**
   * An acknowledged incident that is not resolved within this time alerts again (as PagerDuty's ack
   * timeout does): the acknowledger's level is re-paged and the ladder goes on. Null: never. Absent: P1
   * 30m, P2 2h, P3 never.
   */
  ackTimeout: duration.nullable().optional(),
});

const contact = z.strictObject({
  name: z.string().min(1),
  slackUserId: z.string().optional(),
  phone: z.string().optional(),
  email: z.string().optional(),
  /** Environment variable holding this contact's PagerDuty Events v2 routing key. */
  pagerdutyRoutingKeyEnv: envName.optional(),
});

const httpAdapter = z.strictObject({
  url: z.url(),
  tokenEnv: envName.optional(),
  extraFields: z.record(z.string(), z.unknown()).default({}),
});

const service = z.strictObject({
  customerFacing: z.boolean().default(false),
  severity: severity.optional(),
  healthUrls: z.array(z.url()).default([]),
  container: z.string().optional(),
  databaseContainer: z.string().optional(),
  /** Environment variable holding the URL of the service's database (read by the runbook's checks). */
  databaseUrlEnv: envName.optional(),
  dryRun: z.boolean().default(false),
});

const runbooks = z.strictObject({
  /** Global dry-run: diagnose and propose, never change anything. */
  dryRun: z.boolean().default(false),
  memoryThresholdPercent: z.number().min(1).max(100).default(80),
  recurrenceWindow: duration.default(600_000 as never),
  sampleEvery: duration.default(30_000 as never),
  restartBudget: z
    .strictObject({ max: z.number().int().min(0).default(3), window: duration.default(3_600_000 as never) })
    .prefault({}),
  rollbackWindow: duration.default(14_400_000 as never),
  targetPoolSize: z.number().int().min(1).default(20),
  memoryLimitFactor: z.number().min(1).max(16).default(2),
  stopTimeout: duration.default(10_000 as never),
});

export const configSchema = z
  .strictObject({
    severityPolicy: z.strictObject({ P1: severityRule, P2: severityRule, P3: severityRule }),
    contacts: z.record(z.string(), contact),
    escalation: z.strictObject({
      ladder: z
        .array(z.strictObject({ name: z.string().min(1), contacts: z.array(z.string()).min(1) }))
        .min(1),
      /** How many more times the whole ladder is walked once exhausted. */
      repeat: z.number().int().min(0).max(10).default(0),
      securityContacts: z.array(z.string()).default([]),
      managementContacts: z.array(z.string()).default([]),
    }),
    routing: z
      .strictObject({
        scenarioByAlertname: z.record(z.string(), scenario).default({}),
        severityByLabel: z
          .record(z.string(), severity)
          .default({ critical: 'P1', warning: 'P2', info: 'P3' }),
        defaultSeverity: severity.default('P2'),
      })
      .default({
        scenarioByAlertname: {},
        severityByLabel: { critical: 'P1', warning: 'P2', info: 'P3' },
        defaultSeverity: 'P2',
      }),
    services: z.record(z.string(), service).default({}),
    slack: z
      .strictObject({
        channel: z.string().min(1),
        tokenEnv: envName.default('SLACK_BOT_TOKEN'),
        signingSecretEnv: envName.default('SLACK_SIGNING_SECRET'),
        /** Override of Slack's Web API base URL (tests point it at a local server). */
        apiUrl: z.url().optional(),
      })
      .default({
        channel: '#incidents',
        tokenEnv: 'SLACK_BOT_TOKEN',
        signingSecretEnv: 'SLACK_SIGNING_SECRET',
      }),
    pagerduty: z
      .strictObject({
        eventsUrl: z.url(),
        webhookSecretEnv: envName.default('PAGERDUTY_WEBHOOK_SECRET'),
        /**
         * A v3 webhook's signature has no timestamp: an event whose `occurred_at` is older than this is
         * refused, and each event id within it is applied once, so a captured request cannot be replayed.
         */
        webhookMaxAge: duration.default(600_000 as never),
      })
      .default({
        eventsUrl: 'https://events.pagerduty.com/v2/enqueue',
        webhookSecretEnv: 'PAGERDUTY_WEBHOOK_SECRET',
        webhookMaxAge: 600_000,
      } as never),
    tickets: httpAdapter.nullable().default(null),
    statusPage: httpAdapter.nullable().default(null),
    resolution: z
      .strictObject({ stabilityWatch: duration, checkEvery: duration, settleAfterMitigation: duration })
      .default({ stabilityWatch: 1_800_000, checkEvery: 60_000, settleAfterMitigation: 30_000 } as never),
    review: z
      .strictObject({ directory: z.string().min(1), reminderAfter: duration })
      .default({ directory: 'incidents', reminderAfter: 86_400_000 } as never),
    journal: z.strictObject({ file: z.string().min(1) }).default({ file: '.data/notifications.jsonl' }),
    runbooks: runbooks.prefault({}),
    intake: z
      .strictObject({
        /** A post repeating what the intake already told the incident within this window is not signalled. */
        resendWindow: duration.default(60_000 as never),
      })
      .prefault({}),
    /** Bounds that keep an incident's workflow history far below Temporal's limits, however long it runs. */
    history: z
      .strictObject({
        /** Continue-as-new once a run has this many events (or when Temporal suggests it earlier). */
        continueAsNewAfterEvents: z.number().int().min(200).max(40_000).default(5000),
        /**
         * …or once its history has this many bytes: a few large alert signals reach Temporal's 50 MB long
         * before the event count does, and not every server suggests continue-as-new by size.
         */
        continueAsNewAfterBytes: z.number().int().min(100_000).max(40_000_000).default(8_000_000),
        /** Timeline entries kept in state (and in the status query); older ones stay in the journal. */
        keepTimelineEntries: z.number().int().min(20).max(5000).default(300),
        /** Source alerts kept in state; counts of the rest are kept. */
        keepAlerts: z.number().int().min(10).max(5000).default(200),
      })
      .prefault({}),
    docker: z.strictObject({ socketPath: z.string().min(1) }).default({ socketPath: '/var/run/docker.sock' }),
  })
  .superRefine((cfg, ctx) => {
    const known = new Set(Object.keys(cfg.contacts));
    cfg.escalation.ladder.forEach((level, i) =>
      level.contacts.forEach((id, j) => {
        if (!known.has(id))
          ctx.addIssue({
            code: 'custom',
            path: ['escalation', 'ladder', i, 'contacts', j],
            message: `unknown contact "${id}"`,
          });
      }),
    );
    for (const key of ['securityContacts', 'managementContacts'] as const)
      cfg.escalation[key].forEach((id, j) => {
        if (!known.has(id))
          ctx.addIssue({ code: 'custom', path: ['escalation', key, j], message: `unknown contact "${id}"` });
      });
  });

export type RunbooksConfig = z.output<typeof configSchema>;
export type ServiceConfig = RunbooksConfig['services'][string];
