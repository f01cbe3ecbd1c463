/**
 * What `durable-runbooks incident` says and sends: an incident as a terminal shows it, and a command's words
 * as the incident command they are.
 */
import { terminalText } from '../domain/text';
import type { IncidentStatusView } from '../domain/types';
import type { CommandName } from '../workflows/incident/commands';
import { flag, UsageError, type Parsed } from './args';

/** `page`'s one target, from its flags. */
export function responderFlags(args: Parsed): Record<string, string> {
  const given = (['team', 'person', 'schedule'] as const).flatMap((k) => {
    const v = flag(args, k);
    return v === undefined ? [] : [[k, v] as const];
  });
  if (given.length !== 1) throw new UsageError('page needs one of --team, --person or --schedule');
  return Object.fromEntries(given);
}

/** What an incident says, as a terminal shows it: no escape sequence from an alert reaches the terminal. */
export function describeView(v: IncidentStatusView): string {
  const t = terminalText;
  const lines = [
    `${t(v.incidentId, 100)}  [${t(v.severity, 10)}] ${t(v.service, 200)}  ${t(v.status).toUpperCase()}`,
    `  summary:       ${t(v.summary)}`,
    `  scenario:      ${t(v.scenario, 50)}`,
    `  opened:        ${v.createdAt}`,
    `  acknowledged:  ${v.acknowledgedAt ? `${v.acknowledgedAt} by ${t(v.acknowledgedBy, 200)}` : 'no'}`,
    `  next escalation: ${v.nextEscalationAt ?? (v.ladderExhausted ? t(v.ladderExhausted) : '-')}`,
    `  paged:         ${v.paged.map((p) => `${t(p.levelName, 100)} (${p.at.slice(11, 19)})`).join(', ') || 'nobody'}`,
    ...(v.followUps?.length
      ? [
          `  next by rules: ${v.followUps.map((f) => `${t(f.contact, 100)} by ${t(f.channel, 20)} at ${f.dueAt.slice(11, 19)}`).join(', ')}`,
        ]
      : []),
    ...(v.mergedInto ? [`  merged into:   ${t(v.mergedInto, 200)}`] : []),
    ...(v.mergedFrom?.length ? [`  merged in:     ${v.mergedFrom.map((id) => t(id, 200)).join(', ')}`] : []),
    '  timeline:',
    ...v.timeline.map(
      (e) =>
        `    ${e.at.slice(11, 19)}  ${t(e.type, 20).padEnd(13)} ${t(e.message)}${e.actor ? ` (${t(e.actor, 200)})` : ''}`,
    ),
  ];
  return lines.join('\n');
}

/** A CLI command and its words → the incident command and its arguments. */
export function commandOf(
  command: string,
  by: string,
  rest: string[],
  args: Parsed,
): [CommandName, Record<string, unknown>] {
  const words = rest.join(' ');
  switch (command) {
    case 'page':
      return ['page', { by, ...responderFlags(args) }];
    case 'reassign':
      return ['reassign', { by, team: rest[0] }];
    case 'role': {
      const person = rest.slice(1).join(' ');
      return ['setRole', { by, role: rest[0], person: person.toLowerCase() === 'me' ? by : person }];
    }
    case 'ack':
      return ['acknowledge', { by }];
    case 'resolve':
      return ['resolve', { by, ...(words ? { summary: words } : {}) }];
    case 'escalate':
      return ['escalate', { by, ...(words ? { reason: words } : {}) }];
    case 'severity':
      return ['setSeverity', { by, severity: rest[0] }];
    case 'approve':
      return ['approve', { by, step: rest[0] }];
    case 'reject':
      return [
        'reject',
        { by, step: rest[0], ...(rest.length > 1 ? { reason: rest.slice(1).join(' ') } : {}) },
      ];
    case 'snooze':
      return ['snooze', { by, minutes: Number(rest[0]) }];
    default:
      return ['addNote', { by, text: words }];
  }
}
