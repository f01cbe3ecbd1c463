import { z } from 'zod';
import { duration, envName } from './zod-types';
import { smtpSchema } from './email-schema';
import { runbookDefinitionSchema } from './runbook-definitions';
import { schedule } from './schedule-schema';
import { publicStatusSchema } from './public-status-schema';
import { access, SLACK_MEMBER_ID } from './access-schema';
import { heartbeatsSchema } from './heartbeat-schema';
import { checkNotificationRules, contact } from './contact-schema';
import { reviewSchema } from './review-schema';
import { checkEscalation, escalationPolicySchema, escalationSchema, teamSchema } from './escalation-schema';
import { checkPolicyRevision } from './escalation';
import { ENGINE_REVISION, LATEST_ENGINE_REVISION } from '../domain/policy';
import { CONFIGURABLE_STATE_BYTES, SOURCE_ALERT_BYTES, TIMELINE_ENTRY_BYTES } from '../domain/state-limits';

const severity = z.enum(['P1', 'P2', 'P3']);
const DEFAULT_SERVICE_LABELS = ['service', 'job', 'app', 'namespace'] as const;
/** A scenario: a built-in runbook or a definition's (checked against both once definitions are loaded). */
const scenario = z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, 'expected a scenario name like "disk-full"');

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
  /**
   * Page only inside the paged schedule's `businessHours` (engine revision 7); outside them the page waits
   * for the next business day's start. Absent: P3 yes (the seed: "schedule for next business day"), P1 and
   * P2 no. A schedule without business hours pages at any hour.
   */
  businessHours: z.boolean().optional(),
});

/** A Slack workspace (`T…`) or app (`A…`) id. */
const slackId = (letter: 'T' | 'A', kind: string) =>
  z.string().regex(new RegExp(`^${letter}[A-Z0-9]{2,20}$`), `expected a Slack ${kind} id (${letter}…)`);

const httpAdapter = z.strictObject({
  url: z.url(),
  tokenEnv: envName.optional(),
  extraFields: z.record(z.string(), z.unknown()).default({}),
});

/** A DNS-1123 label or subdomain: what Kubernetes accepts as a namespace or object name. */
const kubernetesName = z
  .string()
  .max(253)
  .regex(
    /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/,
    'expected a Kubernetes name (lower-case letters, digits, "-", ".")',
  );

/** A Deployment the service runs as, instead of a container on a Docker Engine. */
const kubernetesTarget = z.strictObject({
  /** A kubeconfig file (absolute path); absent: the pod's service account in a cluster, else $KUBECONFIG. */
  kubeconfig: z.string().regex(/^\//, 'expected an absolute path').optional(),
  context: z.string().min(1).optional(),
  namespace: kubernetesName,
  deployment: kubernetesName,
  /** The pod template's container the runbooks read and change; absent: the first. */
  container: kubernetesName.optional(),
  /** The most replicas a runbook's `scale` step may set. */
  maxReplicas: z.number().int().min(1).max(1000).default(10),
});

const service = z.strictObject({
  customerFacing: z.boolean().default(false),
  severity: severity.optional(),
  healthUrls: z.array(z.url()).default([]),
  container: z.string().optional(),
  /** Runs on Kubernetes: runbooks read and change this Deployment (exclusive with `container`). */
  kubernetes: kubernetesTarget.optional(),
  databaseContainer: z.string().optional(),
  /** Environment variable holding the URL of the service's database (read by the runbook's checks). */
  databaseUrlEnv: envName.optional(),
  /** The service's git repository on the worker's host: `git-log` probes list its recent commits. */
  repository: z.string().regex(/^\//, 'expected an absolute path').optional(),
  dryRun: z.boolean().default(false),
  /** This service's dashboard (Grafana…), linked from its pages and announcement; overrides `dashboardUrl`. */
  dashboardUrl: z.url().optional(),
  /** Contact ids who may approve or reject this service's runbook steps from Slack (default: access.approvers). */
  approvers: z.array(z.string()).min(1).optional(),
  /** Contact ids who may acknowledge or resolve this service's incidents from Slack or PagerDuty. */
  responders: z.array(z.string()).min(1).optional(),
  /** The team that owns the service: its escalation policy pages, and the console filters by it. */
  team: z.string().min(1).optional(),
  /** The escalation policy its incidents follow (wins over the team's; default: the top-level ladder). */
  escalationPolicy: z.string().min(1).optional(),
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
  /** Runbook definition files (`*.yaml`, `*.json`), relative to the repository root; loaded at start-up. */
  directory: z.string().min(1).default('runbooks'),
});

export const configSchema = z
  .strictObject({
    severityPolicy: z.strictObject({ P1: severityRule, P2: severityRule, P3: severityRule }),
    contacts: z.record(z.string(), contact),
    escalation: escalationSchema,
    /** Escalation policies by name, for teams and services (`default` is `escalation`'s ladder). */
    escalationPolicies: z.record(z.string(), escalationPolicySchema).default({}),
    teams: z.record(z.string(), teamSchema).default({}),
    /**
     * The engine revision new incidents take (a run keeps its own for life). A revision is understood by the
     * release that introduces it and the default only one release later, so that old and new workers can poll
     * together: set a newer one only once every worker runs a release that knows it (docs/development.md).
     */
    engine: z
      .strictObject({
        revision: z.number().int().min(1).max(LATEST_ENGINE_REVISION).default(ENGINE_REVISION),
      })
      .default({ revision: ENGINE_REVISION }),
    routing: z
      .strictObject({
        scenarioByAlertname: z.record(z.string(), scenario).default({}),
        severityByLabel: z
          .record(z.string(), severity)
          .default({ critical: 'P1', warning: 'P2', info: 'P3' }),
        defaultSeverity: severity.default('P2'),
        /** The labels that name an alert's service, tried in this order. */
        serviceLabels: z
          .array(z.string().min(1))
          .min(1)
          .default([...DEFAULT_SERVICE_LABELS]),
        /** Where an alert goes when none of `serviceLabels` names a usable service: it is never refused. */
        defaultService: z
          .string()
          .regex(/^[A-Za-z0-9][\w.:/-]{0,199}$/, 'letters, digits and . _ : / - only')
          .default('unrouted'),
        /** Always-firing alerts that are a sender's heartbeat (the kube-prometheus `Watchdog`): beats, never incidents. */
        heartbeatAlertnames: z.array(z.string().min(1)).default(['Watchdog']),
        /** An alert whose `category` label is one of these is P1 and reaches the security team (the seed's examples). */
        securityCategories: z.array(z.string().min(1)).default(['security', 'data-loss']),
      })
      .default({
        scenarioByAlertname: {},
        severityByLabel: { critical: 'P1', warning: 'P2', info: 'P3' },
        defaultSeverity: 'P2',
        serviceLabels: [...DEFAULT_SERVICE_LABELS],
        defaultService: 'unrouted',
        heartbeatAlertnames: ['Watchdog'],
        securityCategories: ['security', 'data-loss'],
      }),
    services: z.record(z.string(), service).default({}),
    heartbeats: heartbeatsSchema,
    slack: z
      .strictObject({
        channel: z.string().min(1).default('#incidents'),
        tokenEnv: envName.default('SLACK_BOT_TOKEN'),
        signingSecretEnv: envName.default('SLACK_SIGNING_SECRET'),
        /** Requests of another workspace or app (one signing secret serves all of an app's) get 403. */
        teamId: slackId('T', 'team').nullable().default(null),
        appId: slackId('A', 'app').nullable().default(null),
        /** Override of Slack's Web API base URL (tests point it at a local server). */
        apiUrl: z.url().optional(),
        /**
         * Slack calls per second of the incidents' Slack lane, all workers together (Temporal paces the
         * lane's task queue). In a storm the chatter queues here and pages go first; Slack's own limits
         * (429 with Retry-After) are still honoured per call.
         */
        maxCallsPerSecond: z.number().positive().max(1000).default(20),
        /**
         * A channel per incident of these severities: `inc-<id>-<service>`, the paged people invited, the
         * thread there, archived on close. Needs the bot scopes channels:manage (and channels:write.invites);
         * without them, the shared channel.
         */
        channelPerIncident: z
          .strictObject({
            enabled: z.boolean().default(false),
            severities: z.array(severity).default(['P1', 'P2']),
          })
          .prefault({}),
      })
      .prefault({}),
    /** E-mail to contacts with an `email` whenever they are paged (docs/email.md); none by default. */
    smtp: smtpSchema,
    pagerduty: z
      .strictObject({
        eventsUrl: z.url(),
        webhookSecretEnv: envName.default('PAGERDUTY_WEBHOOK_SECRET'),
        /**
         * A v3 webhook's signature has no timestamp: an event whose `occurred_at` is older than this is
         * refused, and each event id within it is applied once, so a captured request cannot be replayed.
         */
        webhookMaxAge: duration.default(600_000 as never),
        /** The REST API and a read-only token's variable: the console links the incidents our pages opened. */
        restUrl: z.url().default('https://api.pagerduty.com'),
        apiTokenEnv: envName.default('PAGERDUTY_API_TOKEN'),
      })
      .default({
        eventsUrl: 'https://events.pagerduty.com/v2/enqueue',
        webhookSecretEnv: 'PAGERDUTY_WEBHOOK_SECRET',
        webhookMaxAge: 600_000,
        restUrl: 'https://api.pagerduty.com',
        apiTokenEnv: 'PAGERDUTY_API_TOKEN',
      } as never),
    tickets: httpAdapter.nullable().default(null),
    statusPage: httpAdapter.nullable().default(null),
    resolution: z
      .strictObject({ stabilityWatch: duration, checkEvery: duration, settleAfterMitigation: duration })
      .default({ stabilityWatch: 1_800_000, checkEvery: 60_000, settleAfterMitigation: 30_000 } as never),
    review: reviewSchema,
    journal: z.strictObject({ file: z.string().min(1) }).default({ file: '.data/notifications.jsonl' }),
    runbooks: runbooks.prefault({}),
    intake: z
      .strictObject({
        /** A post repeating what the intake already told the incident within this window is not signalled. */
        resendWindow: duration.default(60_000 as never),
        /**
         * Requests per source address per window, beyond which the intake answers 429 with Retry-After
         * (Alertmanager and Grafana retry). One flooding source cannot starve the others.
         */
        rateLimit: z
          .strictObject({
            // 100/s: far above what one Alertmanager sends in a storm (it groups alerts), so only a
            // misbehaving source meets it. Shorter windows smooth bursts (see docs/alert-sources.md).
            max: z.number().int().min(1).max(1_000_000).default(100),
            // Requests without the token (when one is set): a smaller bucket, not the senders' own.
            unauthenticatedMax: z.number().int().min(1).max(1_000_000).default(10),
            window: duration.default(1000 as never),
          })
          .prefault({}),
        /** Past this event-loop delay the intake sheds load (503 + Retry-After) rather than stall everyone. */
        maxEventLoopDelay: duration.default(1000 as never),
        /** The whole request (headers and body) must arrive within this: a slow client cannot hold a socket. */
        requestTimeout: duration.default(10_000 as never),
        /** An idle keep-alive connection is closed after this. */
        keepAliveTimeout: duration.default(5000 as never),
        /**
         * Reverse proxies (addresses or CIDRs) whose X-Forwarded-For names the source; without them the
         * source is the connection's address, and a client cannot choose its own rate-limit key.
         */
        trustedProxies: z.array(z.string().min(1)).default([]),
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
      // Both are carried by continue-as-new in one payload, which Temporal refuses over 2 MB.
      .refine(
        (h) =>
          h.keepTimelineEntries * TIMELINE_ENTRY_BYTES + h.keepAlerts * SOURCE_ALERT_BYTES <=
          CONFIGURABLE_STATE_BYTES,
        {
          message: `keepTimelineEntries × ${TIMELINE_ENTRY_BYTES} + keepAlerts × ${SOURCE_ALERT_BYTES} bytes must stay within ${CONFIGURABLE_STATE_BYTES} (the state is carried in one payload, under Temporal's 2 MB limit)`,
          path: ['keepTimelineEntries'],
        },
      )
      .prefault({}),
    docker: z.strictObject({ socketPath: z.string().min(1) }).default({ socketPath: '/var/run/docker.sock' }),
    access: access.prefault({}),
    maintenance: z
      .strictObject({
        /** How often an incident suppressed by a maintenance window asks whether the window ended early. */
        checkEvery: duration.default(300_000 as never),
      })
      .prefault({}),
    /**
     * The stuck-incident watchdog (one workflow per task queue): it looks this often for incidents whose
     * workflow tasks keep failing, or that were terminated while open, and pages the on-call about them.
     */
    watchdog: z
      .strictObject({
        every: duration.default(60_000 as never),
        /** A workflow task on this attempt is stuck: the first retry is routine (a worker restarting). */
        failedAttempts: z.number().int().min(2).max(100).default(3),
        /** A stuck incident still stuck this long after its last report is paged about again. */
        remindEvery: duration.default(3_600_000 as never),
        /** The Temporal UI the report links to (else TEMPORAL_UI_URL, else the dev server's). */
        uiUrl: z.url().nullable().default(null),
      })
      .prefault({}),
    /**
     * The API (`/api/v1`). Callers are people: a per-person token (`durable-runbooks token create`), or a
     * reverse proxy at one of `trustedProxies` (IP addresses) that names the person in `X-Forwarded-User`
     * (a contact id) or `X-Forwarded-Email` (a contact's email), as Grafana's auth proxy does.
     */
    api: z.strictObject({ trustedProxies: z.array(z.union([z.ipv4(), z.ipv6()])).default([]) }).prefault({}),
    /** The system of record. `retainFor`: how long a closed incident is kept, all its records with it; null: ever. */
    store: z.strictObject({ retainFor: duration.nullable().default(null) }).prefault({}),
    publicStatus: publicStatusSchema,
    /** On-call schedules by name, for ladder levels that page whoever is on call. */
    schedules: z.record(z.string(), schedule).default({}),
    /** The Prometheus server that runbook definitions' `prometheus` probes ask (HTTP API). */
    prometheus: z.strictObject({ url: z.url() }).nullable().default(null),
    /**
     * The dashboard linked from pages and the incident's announcement: a URL in which `{service}` is
     * replaced by the service's name (a service's own `dashboardUrl` wins). Null: no link.
     */
    dashboardUrl: z
      .string()
      .regex(/^https?:\/\/\S+$/, 'expected an http(s) URL; {service} is replaced by the service name')
      .nullable()
      .default(null),
    /** Runbook definitions written inline; those in `runbooks.directory` are added when the config loads. */
    runbookDefinitions: z.array(runbookDefinitionSchema).default([]),
  })
  .superRefine((cfg, ctx) => {
    const known = new Set(Object.keys(cfg.contacts));
    const checkContacts = (ids: string[] | undefined, path: (string | number)[]) =>
      ids?.forEach((id, j) => {
        if (!known.has(id))
          ctx.addIssue({ code: 'custom', path: [...path, j], message: `unknown contact "${id}"` });
      });
    cfg.escalation.ladder.forEach((level, i) => {
      checkContacts(level.contacts, ['escalation', 'ladder', i, 'contacts']);
      if (level.schedule !== undefined && !Object.hasOwn(cfg.schedules, level.schedule))
        ctx.addIssue({
          code: 'custom',
          path: ['escalation', 'ladder', i, 'schedule'],
          message: `unknown schedule "${level.schedule}" (known: ${Object.keys(cfg.schedules).join(', ') || 'none'})`,
        });
    });
    for (const [name, s] of Object.entries(cfg.schedules))
      s.layers.forEach((layer, i) =>
        checkContacts(layer.participants, ['schedules', name, 'layers', i, 'participants']),
      );
    for (const key of ['securityContacts', 'managementContacts'] as const)
      checkContacts(cfg.escalation[key], ['escalation', key]);
    checkContacts(cfg.access.approvers, ['access', 'approvers']);
    for (const [step, ids] of Object.entries(cfg.access.stepApprovers))
      checkContacts(ids, ['access', 'stepApprovers', step]);
    for (const [name, svc] of Object.entries(cfg.services)) {
      if (svc.container !== undefined && svc.kubernetes !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['services', name, 'kubernetes'],
          message:
            'a service runs either in a container or on Kubernetes: name "container" or "kubernetes", not both',
        });
      checkContacts(svc.approvers, ['services', name, 'approvers']);
      checkContacts(svc.responders, ['services', name, 'responders']);
    }
    let found = 0;
    const issue = (path: (string | number)[], message: string) => {
      found++;
      ctx.addIssue({ code: 'custom', path, message });
    };
    checkEscalation(cfg, issue);
    checkNotificationRules(cfg, issue);
    // Resolving a policy follows its team targets: only once they are known and free of cycles.
    if (!found) checkPolicyRevision(cfg, issue);
  });

export { SLACK_MEMBER_ID };

export type RunbooksConfig = z.output<typeof configSchema>;
export type ServiceConfig = RunbooksConfig['services'][string];
