/**
 * `durable-runbooks`: the one command line. Responder and author commands run here; the operator commands
 * (start, cluster, chaos, drill) run their scripts from the checkout, after their flags are checked here,
 * so `--help` never starts anything and a mistyped flag is refused. Exit codes: `cli/exit-codes.ts`.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parse, UsageError, type FlagSpec } from './args';
import { EXIT, EXIT_CODES_HELP } from './exit-codes';
import { packageVersion } from '../config/package-root';
import { REPO_ROOT } from './installed-tools';

type Run = (argv: string[], out: (s: string) => void, err: (s: string) => void) => Promise<number>;

// Each group is loaded when it runs: loading all of them (the Temporal worker for `runbook rehearse`, the store,
// the configuration's schemas) cost every command, even `--help`, about two seconds. `require`, not `import()`:
// tsx runs a checkout's sources as CommonJS and leaves `import()` to node, which resolves no `.ts`.
/* eslint-disable @typescript-eslint/no-require-imports */
const GROUPS: Record<string, { about: string; run: Run }> = {
  incident: {
    about: 'list, show and act on incidents; declare one; report MTTA/MTTR',
    run: (...a) => (require('./incident') as typeof import('./incident')).runCli(...a),
  },
  oncall: {
    about: 'who is on call, the shifts ahead, overrides',
    run: (...a) => (require('./oncall') as typeof import('./oncall')).runOnCallCli(...a),
  },
  maintenance: {
    about: "planned work: a service's alerts page nobody for a while",
    run: (...a) => (require('./maintenance') as typeof import('./maintenance')).runMaintenanceCli(...a),
  },
  runbook: {
    about: 'list, validate and rehearse runbook definitions',
    run: (...a) => (require('./runbook') as typeof import('./runbook')).main(...a),
  },
  store: {
    about: 'the system of record: migrate it, or see where it is and what it holds',
    run: (...a) => (require('./store') as typeof import('./store')).runStoreCli(...a),
  },
  token: {
    about: "people's API tokens: create one acting as a contact, list them, revoke one",
    run: (...a) => (require('./token') as typeof import('./token')).runTokenCli(...a),
  },
};
/* eslint-enable @typescript-eslint/no-require-imports */

interface OpsCommand {
  about: string;
  usage: string;
  script: string;
  flags: FlagSpec;
  /** Checks the positionals; a message is a usage error. */
  check(positionals: string[]): string | null;
}

const count = (name: string, text: string | undefined) =>
  text === undefined || /^[1-9]\d{0,6}$/.test(text)
    ? null
    : `${name}: a whole number, not ${JSON.stringify(text)}`;

const OPS: Record<string, OpsCommand> = {
  start: {
    about: 'Temporal dev server (started if none answers), worker and intake in one supervised process',
    usage: 'start',
    script: 'scripts/ops/start.ts',
    flags: {},
    check: (p) => (p.length ? 'start takes no arguments' : null),
  },
  api: {
    about: 'the HTTP API (/api/v1) over the store, on 127.0.0.1:8089 (API_PORT)',
    usage: 'api',
    script: 'workers/api-main.ts',
    flags: {},
    check: (p) => (p.length ? 'api takes no arguments' : null),
  },
  cluster: {
    about: 'Temporal on PostgreSQL, its UI, two workers and two intakes behind haproxy, supervised',
    usage: 'cluster',
    script: 'scripts/ops/cluster.ts',
    flags: {},
    check: (p) => (p.length ? 'cluster takes no arguments' : null),
  },
  chaos: {
    about: 'a storm of alerts while servers are killed; prints whether each promise held',
    usage: 'chaos [alerts (10000)] [groups (100)]',
    script: 'scripts/bench/chaos.ts',
    flags: {},
    check: (p) =>
      p.length > 2 ? 'chaos takes at most two numbers' : (count('alerts', p[0]) ?? count('groups', p[1])),
  },
  drill: {
    about: 'a scenario of the seed runbook against a real app (Docker, or Kubernetes with --kubernetes)',
    usage: 'drill <wont-start|high-memory|disk-full|…> [--approve] [--kubernetes]',
    script: 'scripts/testbed/drill.ts',
    flags: { approve: { type: 'boolean' }, kubernetes: { type: 'boolean' } },
    check: (p) => (p.length === 1 ? null : 'drill needs one scenario'),
  },
  'pin-images': {
    about: "pin the deploy examples' images by digest, read from the registry your nodes pull through",
    usage: 'pin-images --registry <url> [--check] [file…]',
    script: 'scripts/ops/pin-images.ts',
    flags: { registry: { type: 'string' }, check: { type: 'boolean' } },
    check: () => null,
  },
};

export const USAGE = [
  'usage: durable-runbooks <command> [flags]      (durable-runbooks <command> --help for its own)',
  '',
  ...Object.entries(GROUPS).map(([name, g]) => `  ${name.padEnd(13)}${g.about}`),
  ...Object.entries(OPS).map(([name, o]) => `  ${name.padEnd(13)}${o.about}`),
  '',
  '  --version    the version',
  EXIT_CODES_HELP,
].join('\n');

/** Runs an operator script with these arguments, as its own process; answers its exit code. */
function runScript(script: string, argv: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['-r', require.resolve('tsx/cjs'), path.join(REPO_ROOT, script), ...argv],
      {
        stdio: 'inherit',
      },
    );
    // Ctrl-C reaches the script too (same process group); it stops what it started and exits.
    const ignore = () => undefined;
    const forward = () => child.kill('SIGTERM');
    process.on('SIGINT', ignore);
    process.on('SIGTERM', forward);
    child.on('exit', (code, signal) => {
      process.off('SIGINT', ignore);
      process.off('SIGTERM', forward);
      resolve(code ?? (signal === 'SIGINT' ? 130 : 1));
    });
  });
}

export async function main(
  argv: string[],
  out: (s: string) => void = console.log,
  err: (s: string) => void = console.error,
): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    (command === undefined ? err : out)(USAGE);
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  if (command === '--version' || command === '-v') {
    out(packageVersion());
    return EXIT.ok;
  }
  const group = Object.hasOwn(GROUPS, command) ? GROUPS[command] : undefined;
  if (group) return group.run(rest, out, err);
  const ops = Object.hasOwn(OPS, command) ? OPS[command] : undefined;
  if (!ops) {
    err(`unknown command ${JSON.stringify(command)}\n${USAGE}`);
    return EXIT.usage;
  }
  const help = `usage: durable-runbooks ${ops.usage}\n  ${ops.about}`;
  try {
    const parsed = parse(rest, ops.flags);
    if (parsed.help) {
      out(help);
      return EXIT.ok;
    }
    const problem = ops.check(parsed.positionals);
    if (problem) throw new UsageError(problem);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    err(`${e.message}\n${help}`);
    return EXIT.usage;
  }
  if (!existsSync(path.join(REPO_ROOT, ops.script))) {
    err(
      `${command} runs from a checkout of the repository (it needs ${ops.script} and what npm run provision installs)`,
    );
    return EXIT.unreachable;
  }
  return runScript(ops.script, rest);
}

if (require.main === module)
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      console.error((e as Error)?.stack ?? String(e));
      process.exit(1);
    },
  );
