import { knownScenarios, type RunbooksConfig, type ServiceConfig } from '../config';
import type { RunbookSettings, RunbookTarget } from '../domain/runbook';
import type { RunbookDefinition } from '../domain/runbook-definition';
import { ownValue, type IncidentPolicy, type LadderLevel, type PolicyLadder } from '../domain/policy';
import {
  policyOf,
  resolvePolicy,
  rulePeople,
  type ResolvedLadder,
  type ResolvedPolicy,
  type ResolvedRule,
} from '../config/escalation';
import type { ResponderPlan, TeamPolicy } from '../domain/responders';
import type { NamedContact } from './contract';
import { contactOf, type ResponderIdentity } from '../config/contacts';
import type { ResponderTarget, Severity } from '../domain/types';

const DEFAULT_ACK_TIMEOUT_MS = { P1: 1_800_000, P2: 7_200_000, P3: null } as const;

/** Ladders and levels as the workflow pages them, built from this configuration's contacts and schedules. */
function ladderBuilder(config: RunbooksConfig) {
  const nameOf = (id: string) => ownValue(config.contacts, id)?.name ?? id;
  // Every contact by name, for levels with a schedule: an override may hand the pager to anyone.
  const people = Object.entries(config.contacts).map(([id, c]) => ({ id, name: c.name }));
  const scheduleOf = (name: string) => {
    const schedule = ownValue(config.schedules, name);
    return schedule ? [{ name, ...schedule, people }] : [];
  };
  const level = (name: string, ids: string[], scheduleName?: string): LadderLevel => {
    const [schedule] = scheduleName === undefined ? [] : scheduleOf(scheduleName);
    return { name, contactIds: ids, contactNames: ids.map(nameOf), ...(schedule ? { schedule } : {}) };
  };
  const ladder = (l: ResolvedLadder): PolicyLadder => ({
    ladder: l.rules.map((r) => ({
      ...level(r.name, r.contacts, r.schedule),
      ...(r.schedules ? { schedules: r.schedules.flatMap(scheduleOf) } : {}),
      ...(r.delayMs === undefined ? {} : { delayMs: r.delayMs }),
    })),
    repeat: l.repeat,
    afterLadder: l.afterLadder,
  });
  /** A policy's ladder and, where it has them, its per-severity ladders. */
  const policyLadders = (p: ResolvedPolicy): PolicyLadder & Pick<IncidentPolicy, 'bySeverity'> => {
    const bySeverity = Object.entries(p.severity).map(([s, l]) => [s, ladder(l!)] as const);
    return { ...ladder(p), ...(bySeverity.length ? { bySeverity: Object.fromEntries(bySeverity) } : {}) };
  };
  return { level, ladder, policyLadders, nameOf };
}

/** A configured team and its escalation policy, or why there is none. */
function teamPolicyOf(
  config: RunbooksConfig,
  name: string,
): { team: RunbooksConfig['teams'][string]; policy: ResolvedPolicy } | { refused: string } {
  const team = ownValue(config.teams, name);
  const policy = team && resolvePolicy(config, team.escalationPolicy);
  return team && policy ? { team, policy } : { refused: `no team "${name}" is configured (teams)` };
}

/** The workflow's view of the configuration for one service: timings, ladder, names; never a secret. */
export function toIncidentPolicy(config: RunbooksConfig, service: string, scenario?: string): IncidentPolicy {
  const { level, policyLadders } = ladderBuilder(config);
  const escalation = policyOf(config, service);
  const svc = ownValue(config.services, service);
  const rule = (s: 'P1' | 'P2' | 'P3') => {
    const r = config.severityPolicy[s];
    return {
      respondWithinMs: r.respondWithin,
      notify: r.notify,
      escalate: r.escalate,
      notifyManagement: r.notifyManagement,
      statusUpdateEveryMs: r.statusUpdateEvery,
      ackTimeoutMs: r.ackTimeout === undefined ? DEFAULT_ACK_TIMEOUT_MS[s] : r.ackTimeout,
      ...((r.businessHours ?? s === 'P3') ? { businessHoursOnly: true } : {}),
    };
  };
  return {
    severity: { P1: rule('P1'), P2: rule('P2'), P3: rule('P3') },
    ...policyLadders(escalation),
    escalationPolicy: escalation.name,
    ...(escalation.team === undefined ? {} : { team: escalation.team }),
    revision: config.engine.revision,
    security: level('security team', config.escalation.securityContacts),
    management: level('management', config.escalation.managementContacts),
    service: {
      customerFacing: svc?.customerFacing ?? false,
      healthUrls: svc?.healthUrls ?? [],
      dryRun: svc?.dryRun ?? false,
    },
    history: config.history,
    stabilityWatchMs: config.resolution.stabilityWatch,
    checkEveryMs: config.resolution.checkEvery,
    maintenanceCheckEveryMs: config.maintenance.checkEvery,
    reviewDirectory: config.review.directory,
    reviewReminderAfterMs: config.review.reminderAfter,
    reviewMeeting: {
      afterMs: config.review.meeting.after,
      durationMs: config.review.meeting.duration,
      remindCommanderAfterMs: config.review.meeting.remindCommanderAfter,
    },
    ticketsEnabled: config.tickets !== null,
    statusPageEnabled: config.statusPage !== null,
    statusFirstMessage: config.publicStatus.firstMessage,
    ...(scenario === undefined
      ? {}
      : {
          knownScenario: knownScenarios(config).includes(scenario),
        }),
    runbook:
      svc?.container || svc?.kubernetes
        ? {
            dryRun: config.runbooks.dryRun || svc.dryRun,
            target: runbookTarget(svc),
            settings: runbookSettings(config),
            definition: definitionFor(config, scenario),
          }
        : null,
  };
}

/** A person or a schedule added as a responder is paged up to this many times, as one level. */
const RESPONDER_PAGES = 3;

/**
 * Revision 7: what an added responder is, for an incident of `severity`: a team walks its policy (that
 * severity's ladder where it has one) and is answered for by its members and everyone the policy pages; a
 * person or a schedule is one level, paged up to three times.
 */
export function toResponderPlan(
  config: RunbooksConfig,
  target: ResponderTarget,
  severity: Severity,
): ResponderPlan | { refused: string } {
  const { ladder, nameOf } = ladderBuilder(config);
  const person = (id: string) => ({ id, name: nameOf(id) });
  const single = (label: string, rule: ResolvedRule): ResponderPlan => ({
    label,
    ladder: ladder({ rules: [rule], repeat: RESPONDER_PAGES - 1, afterLadder: 'stop' }),
    people: rulePeople(config, [rule]).map(person),
  });
  switch (target.kind) {
    case 'team': {
      const found = teamPolicyOf(config, target.name);
      if ('refused' in found) return found;
      const { team, policy } = found;
      const walk = policy.severity[severity] ?? policy;
      const people = [...team.members, ...rulePeople(config, walk.rules)];
      return {
        label: `team ${team.name ?? target.name}`,
        ladder: ladder(walk),
        people: [...new Set(people)].map(person),
      };
    }
    case 'person':
      if (!ownValue(config.contacts, target.name))
        return { refused: `no contact "${target.name}" is configured (contacts)` };
      return single(nameOf(target.name), { name: nameOf(target.name), contacts: [target.name] });
    case 'schedule':
      if (!ownValue(config.schedules, target.name))
        return { refused: `no schedule "${target.name}" is configured (schedules)` };
      return single(`schedule ${target.name}`, {
        name: `schedule ${target.name}`,
        contacts: [],
        schedule: target.name,
      });
  }
}

/** Revision 7: a team's escalation policy, all its ladders, to reassign an incident to. */
export function toTeamPolicy(config: RunbooksConfig, name: string): TeamPolicy | { refused: string } {
  const found = teamPolicyOf(config, name);
  if ('refused' in found) return found;
  return {
    ...ladderBuilder(config).policyLadders(found.policy),
    escalationPolicy: found.policy.name,
    team: name,
  };
}

/**
 * What a service's runbook operates on. A Kubernetes Deployment is named `namespace/deployment` (its
 * restart ledger and timeline); how to reach the cluster stays in the configuration, out of history.
 */
export function runbookTarget(svc: ServiceConfig): RunbookTarget {
  const common = {
    databaseContainer: svc.databaseContainer ?? null,
    databaseUrlEnv: svc.databaseUrlEnv ?? null,
    healthUrls: svc.healthUrls,
  };
  if (svc.kubernetes)
    return {
      container: kubernetesTargetName(svc.kubernetes),
      platform: 'kubernetes',
      ...common,
    };
  return { container: svc.container as string, ...common };
}

export const kubernetesTargetName = (k: { namespace: string; deployment: string }) =>
  `${k.namespace}/${k.deployment}`;

/** The runbook settings every runbook of this configuration runs with. */
export function runbookSettings(config: RunbooksConfig): RunbookSettings {
  return {
    settleMs: config.resolution.settleAfterMitigation,
    memoryThresholdPercent: config.runbooks.memoryThresholdPercent,
    recurrenceWindowMs: config.runbooks.recurrenceWindow,
    sampleEveryMs: config.runbooks.sampleEvery,
    restartBudget: config.runbooks.restartBudget.max,
    restartWindowMs: config.runbooks.restartBudget.window,
    rollbackWindowMs: config.runbooks.rollbackWindow,
    targetPoolSize: config.runbooks.targetPoolSize,
    memoryLimitFactor: config.runbooks.memoryLimitFactor,
    stopTimeoutSeconds: Math.round(config.runbooks.stopTimeout / 1000),
  };
}

/**
 * The definition that runs for a scenario: its own, or for a name that is neither built in nor defined
 * (a workflow started by hand), the generic `health` definition.
 */
function definitionFor(config: RunbooksConfig, scenario: string | undefined): RunbookDefinition | null {
  const find = (name: string) => config.runbookDefinitions.find((d) => d.scenario === name) ?? null;
  if (scenario === undefined) return null;
  return find(scenario) ?? (knownScenarios(config).includes(scenario) ? null : find('health'));
}

/**
 * Revision 8: the contact each name stands for. The timeline names people as the surfaces do: a contact's id,
 * its name, or `Name (slack:U…)` / `slack:U… (name)` with the channel's id; the id decides where one is given.
 */
export function contactsNamed(config: RunbooksConfig, names: string[]): (NamedContact | null)[] {
  const entries = Object.entries(config.contacts);
  return names.map((raw) => {
    const handle = /(?:^|\()(slack|pagerduty|api):([^\s)]+)/.exec(raw);
    const bare = raw.replace(/\s*\([^)]*\)\s*$/, '').trim();
    const id =
      (handle &&
        contactOf(config, { channel: handle[1] as ResponderIdentity['channel'], userId: handle[2] })) ||
      entries.find(([key]) => key === bare)?.[0] ||
      entries.find(([, c]) => c.name.toLowerCase() === bare.toLowerCase())?.[0];
    if (!id) return null;
    const contact = config.contacts[id];
    return { id, name: contact.name, slackUserId: contact.slackUserId ?? null, email: !!contact.email };
  });
}
