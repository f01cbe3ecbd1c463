/**
 * `durable-runbooks oncall …` (also `npm run oncall -- …`): who is on call, the shifts ahead, overrides.
 * Schedules come from the configuration; overrides live in Temporal (one workflow per schedule), so every
 * worker pages by the same ones. Maintenance windows: `durable-runbooks maintenance` (maintenance.ts).
 * Exit codes: `cli/exit-codes.ts`.
 */
import os from 'node:os';
import { Connection } from '@temporalio/client';
import { loadConfig, type RunbooksConfig } from '../config';
import { parseDuration } from '../config/duration';
import { TASK_QUEUE } from '../intake/open-incident';
import { onCallAt, shiftsAhead, zonedInstant, type OnCallSchedule } from '../domain/oncall';
import { addOverride, readOverrides, removeOverride } from '../activities/oncall';
import { ownValue } from '../domain/policy';
import { terminalText } from '../domain/text';
import { clientOf, connectOrSay, jsonText, refusedOrThrow, table } from './support';
import { maintenance } from './maintenance';
import { flag, helpFor, parse, usageOf, UsageError, type Parsed } from './args';
import { EXIT, EXIT_CODES_HELP } from './exit-codes';

export { EXIT };

const COMMANDS = [
  ['who [<schedule>] [--at <time>] [--json]', 'who is on call now (or at <time>), for one or every schedule'],
  ['next <schedule> [--days N] [--json]', 'the shifts of the next N days (14)'],
  [
    'override <schedule> <contact> --from <time> --to <time> [--reason text] [--by name]',
    '<contact> takes the pager; refused if it overlaps another or is past',
  ],
  ['overrides <schedule>', 'current and future overrides'],
  ['remove <schedule> <id> [--by name]', 'remove an override'],
] as const;

export const USAGE = usageOf(
  'durable-runbooks oncall',
  COMMANDS,
  `<time>: "now", "+2h", an ISO time with a zone (2026-11-27T18:00Z), or the schedule's local time (2026-11-27T18:00)
(oncall maintenance <service> --for 2h | --end is kept as another name for durable-runbooks maintenance)
${EXIT_CODES_HELP}`,
);

const FLAGS = {
  by: { type: 'string' },
  at: { type: 'string' },
  days: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  reason: { type: 'string' },
  for: { type: 'string' },
  end: { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

/** A time as people type it: relative to now, with a zone, or in the schedule's own zone. */
export function parseTime(text: string, timeZone: string, now: number): number {
  if (text === 'now') return now;
  if (text.startsWith('+')) {
    const ms = parseDuration(text.slice(1));
    if (ms === undefined) throw new UsageError(`not a time: ${text}`);
    return now + ms;
  }
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(text)) return zonedInstant(text, timeZone);
  const ms = Date.parse(text);
  if (Number.isNaN(ms) || !/(Z|[+-]\d{2}:?\d{2})$/i.test(text))
    throw new UsageError(
      `not a time: ${text} (give a zone, e.g. 2026-11-27T18:00Z, or the schedule's local time)`,
    );
  return ms;
}

function scheduleOf(config: RunbooksConfig, name: string | undefined): OnCallSchedule {
  const s = name === undefined ? undefined : ownValue(config.schedules, name);
  if (!s)
    throw new UsageError(
      `no schedule ${JSON.stringify(name ?? '')} (known: ${Object.keys(config.schedules).join(', ') || 'none'})`,
    );
  return { name: name!, ...s };
}

function local(ms: number, timeZone: string): string {
  return new Intl.DateTimeFormat('sv-SE', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    weekday: 'short',
  }).format(new Date(ms));
}

export async function runOnCallCli(
  argv: string[],
  out: (s: string) => void = console.log,
  err: (s: string) => void = console.error,
  now = Date.now(),
): Promise<number> {
  let args: Parsed;
  try {
    args = parse(argv, FLAGS);
  } catch (e) {
    err(`${(e as Error).message}\n${USAGE}`);
    return EXIT.usage;
  }
  const [command, scheduleName, ...rest] = args.positionals;
  if (args.help) {
    out(helpFor('oncall', COMMANDS, USAGE, command, EXIT_CODES_HELP));
    return EXIT.ok;
  }
  let config: RunbooksConfig;
  try {
    config = loadConfig();
  } catch (e) {
    err((e as Error).message);
    return EXIT.usage;
  }
  const name = (id: string) => ownValue(config.contacts, id)?.name ?? id;
  let connection: Connection | undefined;
  try {
    const by = flag(args, 'by') ?? process.env.RUNBOOKS_USER ?? os.userInfo().username;
    const atText = flag(args, 'at');
    const daysText = flag(args, 'days');
    const fromText = flag(args, 'from');
    const toText = flag(args, 'to');
    const reason = flag(args, 'reason');
    const forText = flag(args, 'for');
    const end = args.values.end === true;
    const json = args.values.json === true;
    if (!['who', 'next', 'override', 'overrides', 'remove', 'maintenance'].includes(command ?? ''))
      throw new UsageError(command ? `unknown command ${JSON.stringify(command)}` : 'a command is needed');
    if (command === 'maintenance') {
      if (!scheduleName || (!end && !forText))
        throw new UsageError('maintenance <service> --for <2h> | --end');
      connection = await connectOrSay(err);
      if (!connection) return EXIT.unreachable;
      const client = clientOf(connection);
      return await maintenance(client, scheduleName, { end, forText, reason, by, now }, out, err);
    }
    const schedules =
      command === 'who' && scheduleName === undefined
        ? Object.keys(config.schedules).map((n) => scheduleOf(config, n))
        : [scheduleOf(config, scheduleName)];
    connection = await connectOrSay(err);
    if (!connection) return EXIT.unreachable;
    const client = clientOf(connection);
    const overridesOf = (s: OnCallSchedule) => readOverrides(client, s.name);

    if (command === 'who') {
      const rows = [['SCHEDULE', 'ON CALL', 'LAYER', 'AT (schedule time)']];
      const answers = [];
      for (const s of schedules) {
        const at = atText ? parseTime(atText, s.timeZone, now) : now;
        const who = onCallAt(s, at, await overridesOf(s));
        answers.push({
          schedule: s.name,
          contact: who?.contactId ?? null,
          name: who ? name(who.contactId) : null,
          layer: who?.layer ?? null,
          at: new Date(at).toISOString(),
        });
        rows.push([s.name, who ? name(who.contactId) : 'nobody', who?.layer ?? '-', local(at, s.timeZone)]);
      }
      out(json ? jsonText(answers) : table(rows, 100));
      return EXIT.ok;
    }
    const [schedule] = schedules;
    if (command === 'next') {
      const days = daysText === undefined ? 14 : Number(daysText);
      if (!Number.isInteger(days) || days < 1 || days > 90)
        throw new UsageError('--days: a whole number from 1 to 90');
      const shifts = shiftsAhead(schedule, await overridesOf(schedule), now, now + days * 86_400_000);
      const rows = [['FROM', 'TO', 'ON CALL', 'LAYER']];
      for (const shift of shifts)
        rows.push([
          local(shift.from, schedule.timeZone),
          local(shift.to, schedule.timeZone),
          shift.onCall ? name(shift.onCall.contactId) : 'nobody',
          shift.onCall?.layer ?? '-',
        ]);
      if (json)
        out(
          jsonText(
            shifts.map((shift) => ({
              from: new Date(shift.from).toISOString(),
              to: new Date(shift.to).toISOString(),
              contact: shift.onCall?.contactId ?? null,
              layer: shift.onCall?.layer ?? null,
            })),
          ),
        );
      else out(`${schedule.name} (${schedule.timeZone}), next ${days} days:\n${table(rows, 100)}`);
      return EXIT.ok;
    }
    if (command === 'overrides') {
      const rows = [['ID', 'ON CALL', 'FROM', 'TO', 'BY', 'REASON']];
      for (const o of await overridesOf(schedule))
        rows.push([
          o.id,
          name(o.contactId),
          local(o.from, schedule.timeZone),
          local(o.to, schedule.timeZone),
          o.by,
          o.reason ?? '',
        ]);
      out(rows.length > 1 ? table(rows, 100) : `no overrides on ${schedule.name}`);
      return EXIT.ok;
    }
    try {
      if (command === 'override') {
        const [contactId] = rest;
        if (!contactId || !fromText || !toText)
          throw new UsageError('override needs <schedule> <contact> --from <time> --to <time>');
        if (!Object.hasOwn(config.contacts, contactId))
          throw new UsageError(
            `no contact ${JSON.stringify(contactId)} (known: ${Object.keys(config.contacts).join(', ')})`,
          );
        const added = await addOverride(client, TASK_QUEUE, schedule.name, {
          contactId,
          from: parseTime(fromText, schedule.timeZone, now),
          to: parseTime(toText, schedule.timeZone, now),
          by,
          ...(reason ? { reason } : {}),
        });
        out(
          terminalText(
            `override ${added.id}: ${name(contactId)} is on call for ${schedule.name} from ${local(added.from, schedule.timeZone)} to ${local(added.to, schedule.timeZone)} (${schedule.timeZone})`,
          ),
        );
        return EXIT.ok;
      }
      const [id] = rest;
      if (!id) throw new UsageError('remove needs <schedule> <id>');
      await removeOverride(client, schedule.name, id, by);
      out(`override ${terminalText(id, 40)} removed from ${schedule.name}`);
      return EXIT.ok;
    } catch (e) {
      return refusedOrThrow(e, `no overrides on ${schedule.name}`, err);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      err(`${e.message}\n${USAGE}`);
      return EXIT.usage;
    }
    err(`Temporal error: ${terminalText((e as Error).message)}`);
    return EXIT.unreachable;
  } finally {
    await connection?.close();
  }
}

if (require.main === module) {
  runOnCallCli(process.argv.slice(2)).then((code) => process.exit(code));
}
