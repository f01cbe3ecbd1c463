/**
 * `durable-runbooks maintenance start <service> --for 2h | end <service> | list`: planned work, during
 * which the service's alerts open suppressed incidents that page nobody. One workflow per service holds its
 * windows (`maintenanceWorkflow`). Exit codes: `cli/exit-codes.ts`.
 */
import os from 'node:os';
import type { Client } from '@temporalio/client';
import { parseDuration } from '../config/duration';
import { endMaintenance, listMaintenance, startMaintenance } from '../activities/oncall';
import { TASK_QUEUE } from '../intake/open-incident';
import { terminalText } from '../domain/text';
import { flag, helpFor, parse, usageOf, UsageError, type Parsed } from './args';
import { EXIT, EXIT_CODES_HELP } from './exit-codes';
import { jsonText, refusedOrThrow, table, withTemporalClient } from './support';

const COMMANDS = [
  ['start <service> --for <2h> [--reason text] [--by name]', "the service's alerts page nobody until then"],
  ['end <service> [--by name]', 'end the window under way'],
  ['list [--json]', 'windows under way or planned, every service'],
] as const;

export const USAGE = usageOf('durable-runbooks maintenance', COMMANDS, EXIT_CODES_HELP);

const FLAGS = {
  by: { type: 'string' },
  for: { type: 'string' },
  reason: { type: 'string' },
  json: { type: 'boolean' },
} as const;

export async function runMaintenanceCli(
  argv: string[],
  out: (s: string) => void = console.log,
  err: (s: string) => void = console.error,
  now = Date.now(),
): Promise<number> {
  let args: Parsed;
  try {
    args = parse(argv, FLAGS);
    const [command, service, ...extra] = args.positionals;
    if (args.help) {
      out(helpFor('maintenance', COMMANDS, USAGE, command, EXIT_CODES_HELP));
      return EXIT.ok;
    }
    const by = flag(args, 'by') ?? process.env.RUNBOOKS_USER ?? os.userInfo().username;
    if (command === 'list') {
      if (service !== undefined) throw new UsageError('list takes no arguments');
      return await list(args.values.json === true, out, err);
    }
    if (command !== 'start' && command !== 'end')
      throw new UsageError(command ? `unknown command ${JSON.stringify(command)}` : 'a command is needed');
    if (!service || extra.length) throw new UsageError(`${command} needs one <service>`);
    const forText = flag(args, 'for');
    if (command === 'start' && !forText) throw new UsageError('start needs --for <duration>, e.g. --for 2h');
    const reason = flag(args, 'reason');
    return await withTemporalClient(err, (client) =>
      maintenance(client, service, { end: command === 'end', forText, reason, by, now }, out, err),
    );
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    err(`${e.message}\n${USAGE}`);
    return EXIT.usage;
  }
}

/** Opens (or ends) the service's maintenance window in its workflow; the validator's refusal is printed. */
export async function maintenance(
  client: Client,
  service: string,
  opts: { end: boolean; forText?: string; reason?: string; by: string; now: number },
  out: (s: string) => void,
  err: (s: string) => void,
): Promise<number> {
  try {
    if (opts.end) {
      await endMaintenance(client, service, opts.by);
      out(`maintenance of ${terminalText(service, 200)} ended`);
      return EXIT.ok;
    }
    const ms = parseDuration(opts.forText ?? '');
    if (ms === undefined)
      throw new UsageError(`--for: a duration like 2h or 30m, got ${JSON.stringify(opts.forText)}`);
    const window = await startMaintenance(client, TASK_QUEUE, service, {
      to: opts.now + ms,
      by: opts.by,
      ...(opts.reason ? { reason: opts.reason } : {}),
    });
    out(
      terminalText(
        `maintenance ${window.id}: ${service} until ${new Date(window.to).toISOString()}; its alerts page nobody until then (IncidentStatus="suppressed")`,
      ),
    );
    return EXIT.ok;
  } catch (e) {
    return refusedOrThrow(e, `no maintenance under way for ${terminalText(service, 200)}`, err);
  }
}

/** Every service's windows that have not ended, from the visibility list and each workflow's query. */
async function list(json: boolean, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  return withTemporalClient(err, async (client) => {
    // A worker on the task queue answers each workflow's query; without one it cannot.
    const listed = await listMaintenance(client, TASK_QUEUE, 5_000);
    const unreadable = listed.unreadable;
    const windows = listed.windows.map((w) => ({
      service: w.service,
      id: w.id,
      from: new Date(w.from).toISOString(),
      to: new Date(w.to).toISOString(),
      by: w.by,
      reason: w.reason ?? null,
    }));
    if (unreadable.length)
      err(
        `${unreadable.length} could not be read (is a worker running?): ${unreadable.slice(0, 5).join(', ')}`,
      );
    if (json) out(jsonText(windows));
    else if (!windows.length) out('no maintenance under way or planned');
    else
      out(
        table([
          ['SERVICE', 'ID', 'FROM', 'TO', 'BY', 'REASON'],
          ...windows.map((w) => [w.service, w.id, w.from, w.to, w.by, terminalText(w.reason ?? '')]),
        ]),
      );
    return EXIT.ok;
  });
}

if (require.main === module) runMaintenanceCli(process.argv.slice(2)).then((code) => process.exit(code));
