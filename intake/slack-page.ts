/**
 * Slack's `/incident page <incident-id> @db` and `/incident role <incident-id> commander @amy` (engine
 * revision 7). A page's target is `team:…`, `person:…` or `schedule:…`, a Slack mention of a configured
 * contact (`<@U123|amy>`), or a bare name (`@db`) looked up as a team, then a contact, then a schedule. A
 * role's person is a mention, a contact id, `me`, or any name.
 */
import type { RunbooksConfig } from '../config';
import { ownValue } from '../domain/policy';
import { RESPONDER_KINDS, responderTargetOf, type ResponderTarget } from '../domain/responders';
import { INCIDENT_ROLES, type IncidentRole } from '../domain/types';
import { workflowIdOfIncident } from './incident-id';

export const REASSIGN_USAGE = 'usage: reassign <incident-id> <@team>';
export const ROLE_USAGE = `usage: role <incident-id> <${INCIDENT_ROLES.join('|')}> <@person | me | name…>`;
export const PAGE_USAGE = 'usage: page <incident-id> <@team | @person | team:… | person:… | schedule:…>';

function targetOf(config: RunbooksConfig, word: string): ResponderTarget | string {
  const mention = /^<@([UW][A-Z0-9]{2,})(?:\|[^>]*)?>$/.exec(word);
  if (mention) {
    const id = Object.entries(config.contacts).find(([, c]) => c.slackUserId === mention[1])?.[0];
    return id
      ? { kind: 'person', name: id }
      : `person: <@${mention[1]}> is no configured contact (slackUserId)`;
  }
  const [kind, name] = word.includes(':') ? word.split(':', 2) : [undefined, word.replace(/^@/, '')];
  if (kind !== undefined) {
    const target = responderTargetOf({ [kind]: name });
    return typeof target === 'string' || !RESPONDER_KINDS.includes(kind as ResponderTarget['kind'])
      ? `${PAGE_USAGE}`
      : target;
  }
  if (ownValue(config.teams, name)) return { kind: 'team', name };
  if (ownValue(config.contacts, name)) return { kind: 'person', name };
  if (ownValue(config.schedules, name)) return { kind: 'schedule', name };
  return `no team, contact or schedule is named ${JSON.stringify(name.slice(0, 100))}. ${PAGE_USAGE}`;
}

/** `page <incident-id> <target>` (either order) → the incident's workflow and the target, or why not. */
export function parseSlackPage(
  config: RunbooksConfig,
  text: string,
): { workflowId: string; incident?: string; target: ResponderTarget } | string {
  const [verb, ...words] = text.trim().split(/\s+/);
  if (verb !== 'page' || words.length < 1 || words.length > 2) return PAGE_USAGE;
  const idAt = words.findIndex((w) => incidentOf(w) !== null);
  if (idAt < 0) return `name the incident (its id starts with "incident-"). ${PAGE_USAGE}`;
  if (words.length < 2) return `name whom to page. ${PAGE_USAGE}`;
  const target = targetOf(config, words[1 - idAt]);
  if (typeof target === 'string') return target;
  // An incident id names one run of its alert group: a later incident of the group refuses it.
  return { ...incidentOf(words[idAt])!, target };
}

/** The incident's workflow of an `incident-…` word, and its incident id when it names one run. */
function incidentOf(word: string | undefined): { workflowId: string; incident?: string } | null {
  if (!word || !/^incident-[\w.:-]{1,300}$/.test(word)) return null;
  const workflowId = workflowIdOfIncident(word);
  return { workflowId, ...(workflowId === word ? {} : { incident: word }) };
}

/**
 * `role <incident-id> <role> <person…>` → the incident, the role and its person (`me`: `caller`), or why
 * not.
 */
export function parseSlackRole(
  config: RunbooksConfig,
  text: string,
  caller: string,
): { workflowId: string; incident?: string; role: IncidentRole; person: string } | string {
  const [verb, id, role, ...words] = text.trim().split(/\s+/);
  if (verb !== 'role') return ROLE_USAGE;
  const incident = incidentOf(id);
  if (!incident) return `name the incident (its id starts with "incident-"). ${ROLE_USAGE}`;
  const known = INCIDENT_ROLES.find((r) => r === role);
  if (!known) return `role: one of ${INCIDENT_ROLES.join(', ')}. ${ROLE_USAGE}`;
  const said = words.join(' ');
  if (!said) return `name who takes the role. ${ROLE_USAGE}`;
  const mention = /^<@([UW][A-Z0-9]{2,})(?:\|[^>]*)?>$/.exec(said);
  const contact = mention
    ? Object.values(config.contacts).find((c) => c.slackUserId === mention[1])
    : ownValue(config.contacts, said.replace(/^@/, ''));
  if (mention && !contact) return `person: <@${mention[1]}> is no configured contact (slackUserId)`;
  const person = said.toLowerCase() === 'me' ? caller : (contact?.name ?? said.slice(0, 200));
  return { ...incident, role: known, person };
}

/** `reassign <incident-id> <@team>` → the incident and the team, or why not. */
export function parseSlackReassign(
  config: RunbooksConfig,
  text: string,
): { workflowId: string; incident?: string; team: string } | string {
  const [verb, id, team, ...extra] = text.trim().split(/\s+/);
  if (verb !== 'reassign' || extra.length) return REASSIGN_USAGE;
  const incident = incidentOf(id);
  if (!incident) return `name the incident (its id starts with "incident-"). ${REASSIGN_USAGE}`;
  const name = (team ?? '').replace(/^@/, '').replace(/^team:/, '');
  if (!ownValue(config.teams, name))
    return `team: no team is named ${JSON.stringify(name.slice(0, 100))}. ${REASSIGN_USAGE}`;
  return { ...incident, team: name };
}
