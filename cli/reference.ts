/**
 * The CLI reference (docs/cli.md), generated from the commands' own `--help`, so the two cannot differ:
 * `npm run cli-reference` (scripts/cli-reference.ts) writes it, and a unit test fails when the file and the help disagree.
 */
import { main } from './main';

/** Every command's help, as `main` prints it, in one Markdown page. */
export async function cliReference(): Promise<string> {
  const help = async (argv: string[]) => {
    const lines: string[] = [];
    const code = await main(
      argv,
      (s) => lines.push(s),
      (s) => lines.push(s),
    );
    if (code !== 0) throw new Error(`durable-runbooks ${argv.join(' ')} exited ${code}`);
    return lines.join('\n');
  };
  const sections = [
    '# CLI reference',
    '',
    "Generated from the commands' own `--help` by `npm run cli-reference`; `npm test` fails when this page",
    'and the help differ. Run it as `npx durable-runbooks …` from a checkout or an installed package, or as',
    '`npm run <command> -- …` (`incident`, `oncall`, `maintenance`, `runbook`, `drill`, `cluster`, `chaos`).',
    '',
    '```',
    await help(['--help']),
    '```',
  ];
  for (const command of [
    'incident',
    'oncall',
    'maintenance',
    'runbook',
    'store',
    'start',
    'cluster',
    'chaos',
    'drill',
  ])
    sections.push('', `## ${command}`, '', '```', await help([command, '--help']), '```');
  return `${sections.join('\n')}\n`;
}
