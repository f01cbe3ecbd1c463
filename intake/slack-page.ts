/**
 * Slack's `/incident page <incident-id> @db` and `/incident role <incident-id> commander @amy` (engine
 * revision 7). A page's target is `team:…`, `person:…` or `schedule:…`, a Slack mention of a configured
 * contact (`<@U123|amy>`), or a bare name (`@db`) looked up as a team, then a contact, then a schedule. A
 * role's person is a mention, a contact id, `me`, or any name. `/incident merge <incident-id> <into-id>`
 * (revision 8) closes an incident into another open one.
 */
import type { RunbooksConfig } from '../config';
import { ownValue } from '../domain/policy';
import { RESPONDER_KINDS, responderTargetOf, type ResponderTarget } from '../domain/responders';
import { INCIDENT_ROLES, type IncidentRole } from '../domain/types';
import { contactOf } from './access';
import { workflowIdOfIncident } from './incident-id';

export const REASSIGN_USAGE = 'usage: reassign <incident-id> <@team>';
export const ROLE_USAGE = `usage: role <incident-id> <${INCIDENT_ROLES.join('|')}> <@person | me | name…>`;
export const MERGE_USAGE = 'usage: merge <incident-id> <into-incident-id>';
export const PAGE_USAGE = 'usage: page <incident-id> <@team | @person | team:… | person:… | schedule:…>';

/** What each kind of target names in the configuration. */
const configured = (config: RunbooksConfig): Record<ResponderTarget['kind'], Record<string, unknown>> => ({
  team: config.teams,
  person: config.contacts,
  schedule: config.schedules,
});

/** Whether the configuration has the target (a team, a contact, a schedule of that id). */
export function isConfigured(config: RunbooksConfig, target: ResponderTarget): boolean {
  return ownValue(configured(config)[target.kind], target.name) !== undefined;
}

/**
 * A role's holder as the incident names them: `me` is the caller, a contact id the contact's name, anything
 * else as said.
 */
export function rolePerson(config: RunbooksConfig, said: string, caller: string): string {
  if (said.trim().toLowerCase() === 'me') return caller;
  return ownValue(config.contacts, said.trim())?.name ?? said;
}

/**
 * The contact a Slack mention (`<@U123|amy>`) names: its id, or why it names none; null when the word is no
 * mention.
 */
function mentioned(config: RunbooksConfig, word: string): { id: string } | string | null {
  const mention = /^<@([UW][A-Z0-9]{2,})(?:\|[^>]*)?>$/.exec(word);
  if (!mention) return null;
  const id = contactOf(config, { channel: 'slack', userId: mention[1] });
  return id ? { id } : `person: <@${mention[1]}> is no configured contact (slackUserId)`;
}

function targetOf(config: RunbooksConfig, word: string): ResponderTarget | string {
  const mention = mentioned(config, word);
  if (mention) return typeof mention === 'string' ? mention : { kind: 'person', name: mention.id };
  const [prefix, name] = word.includes(':') ? word.split(':', 2) : [undefined, word.replace(/^@/, '')];
  if (prefix !== undefined) {
    const target = responderTargetOf({ [prefix]: name });
    return typeof target === 'string' || !RESPONDER_KINDS.includes(prefix as ResponderTarget['kind'])
      ? `${PAGE_USAGE}`
      : target;
  }
  const kind = RESPONDER_KINDS.find((k) => isConfigured(config, { kind: k, name }));
  if (kind) return { kind, name };
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
  const mention = mentioned(config, said);
  if (typeof mention === 'string') return mention;
  const contactId = mention?.id ?? said.replace(/^@/, '');
  const person = rolePerson(config, ownValue(config.contacts, contactId) ? contactId : said, caller);
  return { ...incident, role: known, person: person.slice(0, 200) };
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
  if (!isConfigured(config, { kind: 'team', name }))
    return `team: no team is named ${JSON.stringify(name.slice(0, 100))}. ${REASSIGN_USAGE}`;
  return { ...incident, team: name };
}

/** `merge <incident-id> <into-incident-id>` (revision 8) → the incident and the one it goes into, or why not. */
export function parseSlackMerge(
  text: string,
): { workflowId: string; incident?: string; into: string } | string {
  const [verb, id, into, ...extra] = text.trim().split(/\s+/);
  if (verb !== 'merge' || extra.length) return MERGE_USAGE;
  const incident = incidentOf(id);
  if (!incident) return `name the incident (its id starts with "incident-"). ${MERGE_USAGE}`;
  if (!incidentOf(into))
    return `into: name the incident to merge into (its id starts with "incident-"). ${MERGE_USAGE}`;
  if (workflowIdOfIncident(into!) === incident.workflowId)
    return `into: an incident cannot merge into itself. ${MERGE_USAGE}`;
  return { ...incident, into: into! };
}
