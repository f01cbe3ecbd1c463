import path from 'node:path';
import Docker from 'dockerode';
import type { RunbooksConfig } from '../config';
import type { IncidentActivities, RunbookActivities, WatchdogActivities } from './contract';
import { createDockerActivities } from './platform/docker';
import { claimRestart } from './ledger';
import { createGitActivities } from './git';
import { createKubernetesActivities, createKubernetesEnvironment } from './platform/kubernetes';
import { createProbeActivities } from './probes';
import { createPrometheusActivities } from './prometheus';
import { createPostgresActivities } from './postgres';
import { checkServiceHealth } from './health';
import { cancellationRequest } from './temporal-history';
import { postToAdapter } from './http-adapter';
import { Journal } from './journal';
import { maintenanceWindow, onCallOverrides } from './oncall';
import { createPagingActivities } from './paging';
import { createEmailActivities, EmailLedger } from './email';
import { createRuleDelivery } from './rule-delivery';
import { contactsNamed, toIncidentPolicy, toResponderPlan, toTeamPolicy } from './policy';
import { labelServices, observeResponseTimes } from './metrics';
import { appendTimeline, writeReview } from './review';
import type { Env } from './secrets';
import { createSlackActivities } from './slack';
import { createWatchdogActivities } from './watchdog';
import { guardTargets, kubernetesTargetOf } from './targets';
import { heartbeatWhile } from './heartbeat';
import { ownValue } from '../domain/policy';
import { slackText } from '../domain/text';

export interface ActivityDeps {
  config: RunbooksConfig;
  /** Relative paths in config (journal, review directory) resolve against this. */
  baseDir: string;
  env?: Env;
  /** Docker Engine client; by default the socket in DOCKER_SOCKET or config.docker.socketPath. */
  docker?: Docker;
}

export function createIncidentActivities({
  config,
  baseDir,
  env = process.env,
  docker,
}: ActivityDeps): IncidentActivities & RunbookActivities & WatchdogActivities {
  labelServices(Object.keys(config.services));
  const journal = new Journal(path.resolve(baseDir, config.journal.file));
  const slack = createSlackActivities(config, env, journal);
  const paging = createPagingActivities(config, env, journal);
  const email = createEmailActivities(
    config,
    env,
    new EmailLedger(path.join(path.dirname(journal.file), 'email-sent.jsonl')),
  );
  // Everything that touches Docker, PostgreSQL or a health URL acts only on what the configuration names.
  const dockerActivities = createDockerActivities(
    docker ?? new Docker({ socketPath: env.DOCKER_SOCKET ?? config.docker.socketPath }),
  );
  const postgres = createPostgresActivities(env);
  const kubernetes = createKubernetesActivities((service) => kubernetesTargetOf(config, service));
  const kubernetesEnvironment = createKubernetesEnvironment((service) => kubernetesTargetOf(config, service));
  const engine = guardTargets(config, dockerActivities);
  const rules = createRuleDelivery(config, { paging, email, slack });
  const pageContacts: IncidentActivities['pageContacts'] = async (args) => {
    // Whoever is paged joins the incident's own channel: after the page, and best effort (the page matters,
    // not the invite; a hung Slack must not hold a page past its activity timeout).
    const invite = async () => {
      if (args.thread?.own)
        await slack.inviteToChannel(args.thread.channel, args.contactIds).catch(() => undefined);
    };
    if (args.channel === 'page' && args.byRules) {
      const paged = await rules.pageByRules(args);
      await invite();
      return paged;
    }
    if (args.channel === 'page') {
      const paged = await paging.pageOnCall(args);
      // Contacts with an address hear of it by e-mail too: delivered when either channel reached them.
      const emailed = await email.emailPage(args);
      await invite();
      if (!emailed) return paged;
      return {
        delivered: paged.delivered || emailed.delivered,
        detail: `${paged.detail}; ${emailed.detail}`,
      };
    }
    await invite();
    // A page's outcome reaches the thread through the timeline; a Slack-only notice is the mention itself.
    const mentions = slack.slackUsers(args.contactIds);
    const text =
      `${mentions.map((id) => `<@${id}>`).join(' ')} please look: ${slackText(args.reason)}`.trim();
    return slack.postThreadMessage({ incidentId: args.incidentId, thread: args.thread, text });
  };
  const createTicket: IncidentActivities['createTicket'] = async (args) => {
    if (!config.tickets) return { delivered: false, detail: 'no ticket system configured' };
    return postToAdapter(
      'ticket system',
      config.tickets,
      { ...args, title: `[${args.severity}] ${args.service}: ${args.summary}`, due: 'next business day' },
      env,
    );
  };
  const updateStatusPage: IncidentActivities['updateStatusPage'] = async (args) => {
    if (!config.statusPage) return { delivered: false, detail: 'no status page configured' };
    return postToAdapter('status page', config.statusPage, { ...args }, env);
  };
  const activities: IncidentActivities & RunbookActivities = {
    ...engine,
    ...guardTargets(config, postgres),
    ...guardTargets(
      config,
      createProbeActivities({
        docker: dockerActivities,
        kubernetes,
        kubernetesEnvironment,
        onKubernetes: (service) => !!ownValue(config.services, service)?.kubernetes,
        postgres,
        checkServiceHealth,
        prometheus: createPrometheusActivities(config),
        git: createGitActivities(config),
      }),
    ),
    ...guardTargets(config, { claimRestart }),
    ...guardTargets(config, kubernetes),
    requestApproval: slack.requestApproval,
    async loadIncidentPolicy({ service, scenario }) {
      return toIncidentPolicy(config, service, scenario);
    },
    async loadResponderPlan({ target, severity }) {
      return toResponderPlan(config, target, severity);
    },
    async loadTeamPolicy({ team }) {
      return toTeamPolicy(config, team);
    },
    async contactsNamed({ names }) {
      return contactsNamed(config, names);
    },
    emailNotice: (args) => heartbeatWhile(email.emailNotice(args), 'e-mailing'),
    announceIncident: slack.announceIncident,
    postThreadMessage: slack.postThreadMessage,
    archiveIncidentChannel: slack.archiveIncidentChannel,
    // The pager's activities heartbeat: one lost with a stopping worker is retried after the workflow's short
    // heartbeat timeout, not after its 30 s start-to-close timeout (the ladder waits behind a page).
    pageContacts: (args) => heartbeatWhile(pageContacts(args), 'paging'),
    followUpContact: (args) => heartbeatWhile(rules.followUpContact(args), 'following up'),
    sendPagingUpdate: (args) => heartbeatWhile(paging.sendPagingUpdate(args), 'updating the pager'),
    onCallOverrides,
    maintenanceWindow,
    createTicket: (args) => heartbeatWhile(createTicket(args), 'creating a ticket'),
    updateStatusPage: (args) => heartbeatWhile(updateStatusPage(args), 'updating the status page'),
    checkServiceHealth: guardTargets(config, { checkServiceHealth }).checkServiceHealth,
    cancellationRequest,
    async writeReview(args) {
      const written = await writeReview(baseDir, args);
      if (args.responseTimes) observeResponseTimes(args.responseTimes);
      return written;
    },
    appendTimeline: (args) => appendTimeline(baseDir, args),
  };
  // The watchdog reaches people the way incidents do.
  return { ...activities, ...createWatchdogActivities(config, activities) };
}
