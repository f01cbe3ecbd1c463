/**
 * Who may do what from Slack, PagerDuty and the API. The CLI and the Temporal UI are not checked here: their
 * access is Temporal's (see docs/security.md). Pure: the configuration and the identity in, a decision out.
 */
import type { RunbooksConfig } from '../config';
import { ownValue } from '../domain/policy';
import { plainText } from '../domain/text';
import { policyOf, rulePeople } from '../config/escalation';
import { contactOf, type ResponderIdentity } from '../config/contacts';

export { contactOf, type ResponderIdentity };

export type AccessDecision = { allowed: true; by: string } | { allowed: false; reason: string; by: string };

/** How the timeline names the person: the configured contact's name, else the channel's id and name. */
function attribution(config: RunbooksConfig, who: ResponderIdentity, contactId: string | undefined): string {
  const handle = `${who.channel}:${plainText(who.userId, 40)}`;
  if (contactId) return `${config.contacts[contactId].name} (${handle})`;
  return who.name ? `${handle} (${plainText(who.name, 80)})` : handle;
}

/** How commands name the person: the configured contact's name with their channel id, else the channel's. */
export function actorName(config: RunbooksConfig, who: ResponderIdentity): string {
  return attribution(config, who, contactOf(config, who));
}

/**
 * The contact ids that may approve or reject `step` on `service`: the step's list, the service's, the default
 * (everyone the service's escalation policy pages, fixed or by schedule, at any severity).
 */
export function approversFor(config: RunbooksConfig, service: string, step: string): string[] {
  const policy = policyOf(config, service);
  const rules = [policy, ...Object.values(policy.severity)].flatMap((ladder) => ladder!.rules);
  return (
    ownValue(config.access.stepApprovers, step) ??
    ownValue(config.services, service)?.approvers ??
    config.access.approvers ??
    rulePeople(config, rules)
  );
}

const names = (config: RunbooksConfig, ids: string[]) =>
  ids.map((id) => ownValue(config.contacts, id)?.name ?? id).join(', ');

/**
 * Whether `who` may send `command` to an incident of `service` (and, for approvals, its `step`). Declaring
 * an incident is open to whoever may acknowledge one.
 */
export function mayAct(
  config: RunbooksConfig,
  who: ResponderIdentity,
  command:
    | 'acknowledge'
    | 'resolve'
    | 'approve'
    | 'reject'
    | 'declare'
    | 'escalate'
    | 'note'
    | 'severity'
    | 'snooze'
    | 'page'
    | 'role'
    | 'reassign'
    | 'merge'
    | 'review',
  target: { service: string; step?: string },
): AccessDecision {
  const contactId = contactOf(config, who);
  const by = attribution(config, who, contactId);
  if (command === 'approve' || command === 'reject') {
    const approvers = approversFor(config, target.service, target.step ?? '');
    if (contactId && approvers.includes(contactId)) return { allowed: true, by };
    return {
      allowed: false,
      by,
      reason: `${by} may not ${command} step "${plainText(target.step, 100)}" of ${plainText(target.service, 200)}: its approvers are ${names(config, approvers) || 'nobody'}`,
    };
  }
  const { access } = config;
  if (access.responders === 'anyone' || access.allow.includes(`${who.channel}:${who.userId}`))
    return { allowed: true, by };
  const responders = ownValue(config.services, target.service)?.responders;
  if (contactId && (!responders || responders.includes(contactId))) return { allowed: true, by };
  return {
    allowed: false,
    by,
    reason: responders
      ? `${by} may not ${command} incidents of ${plainText(target.service, 200)}: its responders are ${names(config, responders)}`
      : `${by} is not a configured contact: add their ${who.channel === 'slack' ? 'slackUserId' : who.channel === 'pagerduty' ? 'pagerdutyUserId' : 'contact'} to a contact, or "${who.channel}:${plainText(who.userId, 40)}" to access.allow`,
  };
}
