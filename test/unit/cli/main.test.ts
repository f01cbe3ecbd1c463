import { readFileSync } from 'node:fs';
import path from 'node:path';
import { main } from '../../../cli/main';
import { cliReference } from '../../../cli/reference';
import { EXIT } from '../../../cli/exit-codes';
import { jsonText } from '../../../cli/support';

/** Runs `durable-runbooks …` in this process (no command here reaches Temporal or starts anything). */
async function run(...argv: string[]) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await main(
    argv,
    (s) => stdout.push(s),
    (s) => stderr.push(s),
  );
  return { code, stdout: stdout.join('\n'), stderr: stderr.join('\n') };
}

const SUBCOMMANDS: Record<string, string[]> = {
  incident: [
    'list',
    'show',
    'ack',
    'resolve',
    'note',
    'escalate',
    'severity',
    'approve',
    'reject',
    'declare',
    'report',
  ],
  oncall: ['who', 'next', 'override', 'overrides', 'remove'],
  maintenance: ['start', 'end', 'list'],
  runbook: ['list', 'validate', 'test'],
  store: ['migrate', 'status'],
};

describe('durable-runbooks (the CLI)', () => {
  test('--help and every command and subcommand --help: the usage on stdout, exit 0', async () => {
    for (const flag of ['--help', '-h', 'help']) {
      const top = await run(flag);
      expect([top.code, top.stderr, top.stdout.split('\n')[0]]).toEqual([
        EXIT.ok,
        '',
        expect.stringMatching(/^usage: durable-runbooks <command>/),
      ]);
    }
    for (const [group, subcommands] of Object.entries(SUBCOMMANDS)) {
      const help = await run(group, '--help');
      expect([group, help.code, help.stderr]).toEqual([group, EXIT.ok, '']);
      for (const sub of subcommands) {
        expect(help.stdout).toContain(`  ${sub}`);
        const one = await run(group, sub, '--help');
        expect([group, sub, one.code, one.stdout.split('\n')[0]]).toEqual([
          group,
          sub,
          EXIT.ok,
          expect.stringMatching(new RegExp(`^usage: durable-runbooks ${group} ${sub}\\b`)),
        ]);
      }
    }
    for (const ops of ['start', 'cluster', 'chaos', 'drill']) {
      // Help for the operator commands never starts their script.
      const help = await run(ops, '--help');
      expect([ops, help.code, help.stdout.split('\n')[0]]).toEqual([
        ops,
        EXIT.ok,
        expect.stringMatching(new RegExp(`^usage: durable-runbooks ${ops}\\b`)),
      ]);
    }
  });

  test('usage errors exit 2 with the reason and the usage on stderr', async () => {
    const cases = [
      [],
      ['frobnicate'],
      ['incident'],
      ['incident', 'list', '--bogus'],
      ['incident', 'ack'],
      ['incident', 'list', '--severity', 'P9'],
      ['oncall', 'who', '--bogus'],
      ['oncall', 'frobnicate'],
      ['maintenance', 'start', 'checkout'],
      ['maintenance', 'start', 'checkout', '--for'],
      ['runbook', 'validate'],
      ['store'],
      ['store', 'status', 'now'],
      ['store', 'migrate', '--bogus'],
      ['runbook', 'test', 'a.yaml', '--fixtures', 'f.yaml'],
      ['cluster', 'now'],
      ['start', '--detach'],
      ['chaos', 'many'],
      ['chaos', '10', '10', '10'],
      ['drill', 'wont-start', '--kubernets'],
      ['drill'],
    ];
    for (const argv of cases) {
      const r = await run(...argv);
      expect([argv, r.code, r.stdout]).toEqual([argv, EXIT.usage, '']);
      expect(r.stderr).toMatch(/usage: durable-runbooks/);
    }
    expect((await run('incident', 'list', '--bogus')).stderr).toContain("Unknown option '--bogus'");
  });

  test('--version prints the package version', async () => {
    const { version } = JSON.parse(
      readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8'),
    );
    expect(await run('--version')).toEqual({ code: EXIT.ok, stdout: version, stderr: '' });
  });

  test("docs/cli.md is the commands' own help (npm run cli-reference writes it)", async () => {
    const file = readFileSync(path.join(__dirname, '..', '..', '..', 'docs', 'cli.md'), 'utf8');
    expect(file).toBe(await cliReference());
  });

  test('--json output is JSON that reaches the terminal with no control character or bidi override', () => {
    const hostile = { summary: 'a\u001b[2Jb\u009b31mc\u202ed\u2066e' };
    const text = jsonText(hostile);
    // Only printable ASCII (newlines and indentation aside): everything else is written as an escape.
    expect(text.replace(/\n/g, '')).toMatch(/^[\x20-\x7e]*$/);
    expect(JSON.parse(text)).toEqual(hostile);
  });
});
