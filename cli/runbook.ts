/**
 * `durable-runbooks runbook list | validate <file>… | test <file> [--fixture <file>]` (also
 * `npm run runbook -- …`): the runbook author's commands. `test` rehearses a definition on the
 * time-skipping server with the fixture's recorded probe facts in place of real systems, answers approvals
 * as the fixture says, and prints the path the runbook took. Exit codes (`cli/exit-codes.ts`): 0 valid or
 * rehearsed as the fixture's `expect` says; 1 an invalid definition or fixture, or another outcome; 2 usage;
 * 3 no test server.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { loadConfig, type RunbooksConfig } from '../config';
import { RunbookDefinitionError, readRunbookDefinition } from '../config/runbook-definitions';
import { runbookSettings } from '../activities/policy';
import type { MitigationResult, RunbookActivities } from '../activities/contract';
import type { FactValue, RunbookDefinition, StepKind } from '../domain/runbook-definition';
import {
  runbookRehearsalWorkflow,
  type RehearsalInput,
  type RehearsalResult,
} from '../workflows/runbook/rehearsal';
import { terminalText } from '../domain/text';
import { quietRuntime, WORKFLOWS_PATH } from '../workers/worker';
import { table } from './support';
import { flag, helpFor, parse, usageOf, UsageError } from './args';
import { EXIT, EXIT_CODES_HELP } from './exit-codes';
import { findTestServer } from './installed-tools';

export { EXIT };

const COMMANDS = [
  ['list', 'the runbook definitions the worker loads, and the built-in runbooks'],
  ['validate <file>…', 'check definition files; each error names the file, the path and what is allowed'],
  [
    'test <file> [--fixture <file>]',
    'rehearse a definition with recorded probe facts; prints the path it takes',
  ],
] as const;

export const USAGE = usageOf('durable-runbooks runbook', COMMANDS, EXIT_CODES_HELP);

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
/** What a rehearsal replays: probe facts (first look, and after a change), approvals, steps that fail. */
const fixtureSchema = z.strictObject({
  probes: z.record(z.string(), z.record(z.string(), scalar)).default({}),
  after: z.record(z.string(), z.record(z.string(), scalar)).default({}),
  approvals: z.record(z.string(), z.enum(['approve', 'reject'])).default({}),
  failSteps: z.array(z.string()).default([]),
  /** Probes that fail once a step has changed something: the verification's or the watch's look breaks. */
  failAfterChange: z.array(z.string()).default([]),
  /** What the rehearsal must end with: `test` exits 1 when it does not (a runbook's own regression test). */
  expect: z
    .strictObject({
      cause: z.string().optional(),
      result: z.enum(['mitigated', 'escalated', 'dry-run', 'nothing-to-do', 'failed']).optional(),
    })
    .optional(),
});
export type RunbookFixture = z.output<typeof fixtureSchema>;

export function readFixture(file: string): RunbookFixture {
  const text = readFileSync(file, 'utf8');
  const raw = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  const result = fixtureSchema.safeParse(raw ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new RunbookDefinitionError(
    `${file}: at "${issue.path.join('.') || '(root)'}": ${issue.message}`,
    file,
    issue.path.join('.'),
  );
}

/**
 * The runbook activities answered from the fixture: each probe's facts (the `after` facts once a step has
 * changed something), and every change succeeding unless the fixture names its step in `failSteps`.
 */
export function fixtureActivities(
  fixture: RunbookFixture,
  definition: RunbookDefinition,
): Partial<RunbookActivities> {
  let changed = false;
  const stepOf = (kind: StepKind) =>
    Object.values(definition.causes)
      .flatMap((c) => c.steps)
      .find((s) => s.kind === kind)?.id;
  const change = async (kind: StepKind, detail: string): Promise<MitigationResult> => {
    const step = stepOf(kind);
    if (step && fixture.failSteps.includes(step)) throw new Error(`${step} fails (fixture)`);
    changed = true;
    return { action: kind === 'start-dependency' ? 'started' : 'updated', detail, startedAt: null };
  };
  const factsFor = (id: string): Record<string, FactValue> | undefined =>
    changed && Object.hasOwn(fixture.after, id)
      ? fixture.after[id]
      : Object.hasOwn(fixture.probes, id)
        ? fixture.probes[id]
        : undefined;
  const container = (Object.entries(definition.probes).find(([, p]) => p.kind === 'container')?.[0] ??
    '') as string;
  return {
    async runProbe({ id, probe }) {
      if (id && changed && fixture.failAfterChange.includes(id))
        throw new Error(`probe ${id} fails after the change (fixture)`);
      const facts = id ? factsFor(id) : undefined;
      if (!id || !facts) throw new Error(`the fixture records no facts for probe ${id ?? probe.kind}`);
      return {
        facts,
        message: `${id} (fixture): ${Object.entries(facts)
          .map(([k, v]) => `${k}=${v}`)
          .join(', ')}`,
      };
    },
    async engineTime() {
      return new Date().toISOString();
    },
    async inspectContainer({ container: name }) {
      const facts = (container && factsFor(container)) || {};
      return {
        exists: true,
        name,
        running: facts.running !== false,
        status: String(facts.status ?? 'running'),
        exitCode: null,
        oomKilled: facts.oomKilled === true,
        startedAt: null,
        finishedAt: null,
        restartCount: Number(facts.restartCount ?? 0),
        image: String(facts.image ?? 'app:current'),
        imageCreatedAt: null,
        previousImage:
          facts.previousImage === undefined ? 'app:previous' : (facts.previousImage as string | null),
        memoryLimitBytes: 512 * 1048576,
        env: {},
      };
    },
    restartContainer: ({ container: c }) => change('restart', `${c} restarted (rehearsal)`),
    startContainer: ({ container: c }) => change('start-dependency', `${c} started (rehearsal)`),
    async waitForDatabase() {
      return { reachable: true, detail: 'database ready (rehearsal)' };
    },
    recreateContainer: ({ container: c, image, env }) =>
      change(
        image ? 'rollback' : 'recreate',
        `${c} recreated${image ? ` from ${image}` : ''}${env ? ` with ${Object.keys(env).join(', ')}` : ''} (rehearsal)`,
      ),
    scaleOut: ({ container: c, replicas }) =>
      change('scale', `${c} runs as ${replicas} replicas (rehearsal)`),
    raiseMemoryLimit: ({ container: c, limitBytes }) =>
      change('raise-memory-limit', `${c} memory limit ${Math.round(limitBytes / 1048576)} MiB (rehearsal)`),
    async runInContainer({ command }) {
      const step = Object.values(definition.causes)
        .flatMap((c) => c.steps)
        .find((s) => s.kind === 'exec' && s.command === command)?.id;
      changed = true;
      const failed = step !== undefined && fixture.failSteps.includes(step);
      return { exitCode: failed ? 1 : 0, lines: [`${command} (rehearsal)`], timedOut: false, noShell: false };
    },
    async claimRestart({ budget }) {
      return { granted: budget > 0, used: 1, budget, holders: ['rehearsal'] };
    },
    // `verify: health` reads the definition's health probe facts (the `after` ones once something changed).
    async checkServiceHealth() {
      const id = Object.entries(definition.probes).find(([, p]) => p.kind === 'health')?.[0];
      const facts = id ? factsFor(id) : undefined;
      return { healthy: facts?.healthy !== false, checks: [] };
    },
  };
}

/** The rehearsal's input: the definition on a stand-in target, with the configuration's runbook settings. */
export function rehearsalInput(
  definition: RunbookDefinition,
  fixture: RunbookFixture,
  config: RunbooksConfig,
): RehearsalInput {
  return {
    runbook: {
      incidentId: 'rehearsal',
      service: 'rehearsal',
      scenario: definition.scenario,
      severity: 'P2',
      respondWithinMs: 15 * 60_000,
      dryRun: false,
      target: {
        container: 'rehearsal-app',
        databaseContainer: 'rehearsal-db',
        databaseUrlEnv: null,
        healthUrls: [],
      },
      settings: runbookSettings(config),
      definition,
    },
    approvals: fixture.approvals,
  };
}

/** Rehearses the definition on a time-skipping server; the reports in order and the outcome. */
export async function rehearse(
  definition: RunbookDefinition,
  fixture: RunbookFixture,
  config: RunbooksConfig,
  testServer: string,
): Promise<RehearsalResult> {
  quietRuntime('error');
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: testServer } },
  });
  try {
    const taskQueue = 'runbook-rehearsal';
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowsPath: WORKFLOWS_PATH,
      activities: fixtureActivities(fixture, definition),
    });
    return await worker.runUntil(
      env.client.workflow.execute(runbookRehearsalWorkflow, {
        taskQueue,
        workflowId: `rehearsal-${definition.scenario}`,
        args: [rehearsalInput(definition, fixture, config)],
      }),
    );
  } finally {
    await env.teardown();
  }
}

export function formatRehearsal(result: RehearsalResult): string {
  const lines = result.reports.map((r) => {
    const head = `  ${r.kind.padEnd(9)}${r.step ? `[${r.step}] ` : ''}${terminalText(r.message, 500)}`;
    return [head, ...(r.evidence ?? []).map((e) => `             > ${terminalText(e, 300)}`)].join('\n');
  });
  const o = result.outcome;
  return [...lines, `outcome: ${o.result} (cause: ${o.cause}) — ${terminalText(o.summary, 500)}`].join('\n');
}

export async function main(argv: string[], out = console.log, err = console.error): Promise<number> {
  let parsed;
  try {
    parsed = parse(argv, { fixture: { type: 'string' } });
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    err(`${e.message}\n${USAGE}`);
    return EXIT.usage;
  }
  const [command, ...rest] = parsed.positionals;
  if (parsed.help) {
    out(helpFor('runbook', COMMANDS, USAGE, command, EXIT_CODES_HELP));
    return EXIT.ok;
  }
  const fixtureFile = flag(parsed, 'fixture');
  if (command === 'list') {
    const config = loadConfig();
    const rows = [['scenario', 'source', 'alertnames', 'probes', 'causes']];
    for (const d of config.runbookDefinitions)
      rows.push([
        d.scenario,
        d.source,
        d.alertnames.join(', '),
        Object.keys(d.probes).join(', '),
        Object.keys(d.causes).join(', '),
      ]);
    out(table(rows));
    return EXIT.ok;
  }
  if (command === 'validate' && rest.length) {
    let bad = 0;
    for (const file of rest)
      try {
        const d = readRunbookDefinition(file);
        out(
          `${file}: valid — scenario ${d.scenario}, ${Object.keys(d.probes).length} probes, ${d.rules.length} rules, ${Object.keys(d.causes).length} causes`,
        );
      } catch (e) {
        if (!(e instanceof RunbookDefinitionError)) throw e;
        err(e.message);
        bad += 1;
      }
    return bad ? EXIT.refused : EXIT.ok;
  }
  if (command === 'test' && rest.length === 1) {
    let definition: RunbookDefinition;
    let fixture: RunbookFixture;
    try {
      definition = readRunbookDefinition(rest[0]);
      fixture = fixtureFile !== undefined ? readFixture(fixtureFile) : fixtureSchema.parse({});
    } catch (e) {
      if (!(e instanceof RunbookDefinitionError)) throw e;
      err(e.message);
      return EXIT.refused;
    }
    const server = process.env.RUNBOOKS_TEST_SERVER_PATH ?? findTestServer();
    if (!server) {
      err('the time-skipping test server is not installed: run npm run provision');
      return EXIT.unreachable;
    }
    out(
      `rehearsing ${definition.scenario} (${path.basename(rest[0])})${fixtureFile !== undefined ? ` with ${fixtureFile}` : ' with no recorded facts'}`,
    );
    const result = await rehearse(definition, fixture, loadConfig(), server);
    out(formatRehearsal(result));
    if (!fixture.expect) return EXIT.ok;
    const wanted = { cause: result.outcome.cause, result: result.outcome.result, ...fixture.expect };
    if (wanted.cause === result.outcome.cause && wanted.result === result.outcome.result) {
      out(`expected ${JSON.stringify(fixture.expect)}: as expected`);
      return EXIT.ok;
    }
    err(
      `expected ${JSON.stringify(fixture.expect)}, got ${JSON.stringify({ cause: result.outcome.cause, result: result.outcome.result })}`,
    );
    return EXIT.refused;
  }
  err(USAGE);
  return EXIT.usage;
}

if (require.main === module)
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      console.error(terminalText((e as Error).message, 2000));
      process.exit(1);
    },
  );
