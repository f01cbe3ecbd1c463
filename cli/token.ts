/**
 * `durable-runbooks token create <contact> | list | revoke <id>`: per-person API tokens. A token acts as its
 * contact (a key of `contacts` in the configuration) in the API: the responder and approver rules apply to
 * that person, and the timeline names them. It is shown once, when created; the store keeps its hash.
 */
import { loadConfig } from '../config';
import { createToken, listTokens, revokeToken } from '../store';
import { helpFor, parse, usageOf, UsageError, type Parsed } from './args';
import { EXIT, EXIT_CODES_HELP } from './exit-codes';
import { openCliStore } from './store';
import { jsonText } from './support';

const COMMANDS = [
  ['create <contact> [--label L]', 'issue a token acting as this contact (shown once: hand it to them)'],
  ['list [--json]', 'every token: whose, its label, when created, last used, revoked'],
  ['revoke <id>', 'the token stops working at once'],
] as const;

export const USAGE = usageOf('durable-runbooks token', COMMANDS, EXIT_CODES_HELP);

const FLAGS = { json: { type: 'boolean' }, label: { type: 'string' } } as const;

export async function runTokenCli(
  argv: string[],
  out: (s: string) => void = console.log,
  err: (s: string) => void = console.error,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  let args: Parsed;
  try {
    args = parse(argv, FLAGS);
    const [command, ...rest] = args.positionals;
    if (args.help) {
      out(helpFor('token', COMMANDS, USAGE, command, EXIT_CODES_HELP));
      return EXIT.ok;
    }
    const arity = { create: 1, list: 0, revoke: 1 }[command as 'create' | 'list' | 'revoke'];
    if (arity === undefined)
      throw new UsageError(command ? `unknown command ${JSON.stringify(command)}` : 'a command is needed');
    if (rest.length !== arity)
      throw new UsageError(arity ? `${command} takes one argument` : `${command} takes no arguments`);
    if (args.values.label !== undefined && command !== 'create')
      throw new UsageError('--label is a flag of create');
    if (command === 'create') {
      const { contacts } = loadConfig();
      if (!Object.hasOwn(contacts, rest[0]))
        throw new UsageError(
          `no contact ${JSON.stringify(rest[0])} in the configuration (contacts: ${Object.keys(contacts).join(', ')})`,
        );
    }
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    err(`${e.message}\n${USAGE}`);
    return EXIT.usage;
  }
  const opened = await openCliStore(env, err);
  if (!opened) return EXIT.unreachable;
  const { db } = opened;
  try {
    const [command, arg] = args.positionals;
    if (command === 'create') {
      const label = typeof args.values.label === 'string' ? args.values.label : null;
      const { id, token } = await createToken(db, arg, label);
      out(token);
      err(`token ${id} acts as ${arg}; it is shown only now (revoke: durable-runbooks token revoke ${id})`);
      return EXIT.ok;
    }
    if (command === 'revoke') {
      if (await revokeToken(db, arg)) {
        out(`token ${arg} revoked`);
        return EXIT.ok;
      }
      err(`no live token ${JSON.stringify(arg)}`);
      return EXIT.notFound;
    }
    const tokens = await listTokens(db);
    if (args.values.json === true) out(jsonText(tokens));
    else
      for (const t of tokens)
        out(
          `${t.id}\t${t.contact}\t${t.label ?? '-'}\tcreated ${t.createdAt}\tlast used ${t.lastUsedAt ?? 'never'}${t.revokedAt ? `\trevoked ${t.revokedAt}` : ''}`,
        );
    return EXIT.ok;
  } finally {
    await db.close();
  }
}
