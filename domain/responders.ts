/**
 * Responders added to an incident (engine revision 7): "page the DB team" names a team, a person or a
 * schedule, which is then paged on its own ladder beside the incident's until someone from it acknowledges.
 * The shapes every surface shares (the command's arguments, the plan read from the configuration).
 */
import type { PolicyLadder } from './policy';
import { RESPONDER_KINDS, type ResponderTarget, type Severity } from './types';

export { RESPONDER_KINDS, type ResponderTarget, type ResponderView } from './types';

/** What the configuration says of a target: how it is named, the ladder it walks, who answers for it. */
export interface ResponderPlan {
  label: string;
  ladder: PolicyLadder;
  /** Everyone whose acknowledgement answers the request (ids and names, as commands name people). */
  people: { id: string; name: string }[];
}

/**
 * A team's escalation policy as an incident walks it (revision 7's reassignment): it replaces the
 * incident's.
 */
export interface TeamPolicy extends PolicyLadder {
  escalationPolicy: string;
  team: string;
  bySeverity?: Partial<Record<Severity, PolicyLadder>>;
}

/** One request, as the incident keeps it. */
export interface ResponderRequest {
  target: ResponderTarget;
  by: string;
  at: number;
  /** The target as the configuration has it; null until read. */
  plan: ResponderPlan | null;
  /** Pages sent for it: which of its ladder's steps comes next. */
  step: number;
  nextAt: number | null;
  answeredBy: string | null;
  /** Why it ended unanswered (its ladder ran out, the target is not configured). */
  ended: string | null;
}

/**
 * A page to a responder is no rung of the incident's ladder: ladder levels are 0 and up, -1 security, -2
 * management.
 */
export const RESPONDER_LEVEL = -3;

/** The most responder requests an incident keeps (answered ones included): each carries a ladder. */
export const MAX_RESPONDER_REQUESTS = 10;

/** The one target a command's arguments name (`{team}`, `{person}` or `{schedule}`), or why there is none. */
export function responderTargetOf(
  args: Record<string, unknown> | null | undefined,
): ResponderTarget | string {
  const named = RESPONDER_KINDS.filter((kind) => args?.[kind] !== undefined);
  if (named.length !== 1) return 'name one of "team", "person" or "schedule"';
  const kind = named[0];
  const name = args?.[kind];
  if (typeof name !== 'string' || !/^[A-Za-z0-9_.@-]{1,100}$/.test(name.trim().replace(/^@/, '')))
    return `${kind}: a configured id (letters, digits, "_", ".", "-", "@"; at most 100)`;
  return { kind, name: name.trim().replace(/^@/, '') };
}

export const describeTarget = (t: ResponderTarget) => (t.kind === 'person' ? t.name : `${t.kind} ${t.name}`);

/** Whether the actor a command names (`id`, `Name`, or `Name (slack:U1)`) is this person. */
export function isPerson(by: string, person: { id: string; name: string }): boolean {
  return by === person.id || by === person.name || by.startsWith(`${person.name} (`);
}
