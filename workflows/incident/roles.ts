/**
 * Incident roles (engine revision 7): a commander, a communications lead and a scribe, each set by the
 * `setRole` command and shown wherever the incident is. Until a commander is named, whoever acknowledged
 * leads. Pure: the workflow passes `now`.
 */
import { INCIDENT_ROLES, type IncidentRole } from '../../domain/types';
import { record, type IncidentState } from './state';
import { revisionAtLeast } from './transitions';

export const ROLES_REVISION = 7;

type CommandArgs = Record<string, unknown> | null | undefined;

const ROLE_NAMES: Record<IncidentRole, string> = {
  commander: 'incident commander',
  communications: 'communications lead',
  scribe: 'scribe',
};

const roleOf = (args: CommandArgs) =>
  INCIDENT_ROLES.find((r) => r === args?.role) as IncidentRole | undefined;

function personOf(args: CommandArgs): string | undefined {
  const person = args?.person;
  return typeof person === 'string' && person.trim() ? person.trim().slice(0, 200) : undefined;
}

/** Why `setRole` is refused now, or null. */
export function roleRefusal(state: IncidentState, args: CommandArgs): string | null {
  if (!revisionAtLeast(state, ROLES_REVISION))
    return `roles need engine revision ${ROLES_REVISION}; this incident runs revision ${state.policy?.revision ?? 1}`;
  const role = roleOf(args);
  if (!role) return `role: one of ${INCIDENT_ROLES.join(', ')}`;
  const person = personOf(args);
  if (!person) return 'person: who takes the role';
  if (state.status === 'resolved') return 'incident is already resolved';
  if (state.roles?.[role] === person) return `${person} is already the ${ROLE_NAMES[role]}`;
  return null;
}

export function applyRole(state: IncidentState, by: string, args: CommandArgs, now: number): string {
  const role = roleOf(args)!;
  const person = personOf(args)!;
  const before = state.roles?.[role];
  (state.roles ??= {})[role] = person;
  record(state, now, 'note', `${ROLE_NAMES[role]}: ${person}${before ? ` (was ${before})` : ''}`, {
    actor: by,
  });
  return `${person} is now the ${ROLE_NAMES[role]}`;
}
