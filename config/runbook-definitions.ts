/**
 * Runbook definitions (`runbooks/*.yaml` or `.json`): validated with zod at start-up, each error naming
 * the file, the path inside it and the values allowed there. The interpreter workflow trusts what passes.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import {
  PROBE_FACTS,
  SETTINGS_FACTS,
  STEP_FACTS,
  factsRead,
  type Condition,
  type ProbeDefinition,
  type RunbookDefinition,
} from '../domain/runbook-definition';
import { duration } from './zod-types';

const slug = (what: string) =>
  z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, `expected a ${what} like "disk-full" (a-z, 0-9, -)`);
const PROBE_KINDS = Object.keys(PROBE_FACTS) as [ProbeDefinition['kind'], ...ProbeDefinition['kind'][]];
export const STEP_KINDS = [
  'restart',
  'start-dependency',
  'recreate',
  'raise-memory-limit',
  'rollback',
  'scale',
  'exec',
  'escalate',
  'watch',
] as const;
const COMPARISONS = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'exists'] as const;
/** A shell command is passed to `sh -c` inside the container: bounded, one line, no NUL. */
const command = z
  .string()
  .min(1)
  .max(2000)
  .regex(/^[^\0\r\n]+$/, 'expected one line of shell');
const absolutePath = z.string().regex(/^\/[^\0]*$/, 'expected an absolute path inside the container');

/** Conditions are checked by hand: zod's union errors would not say which operator was expected. */
const condition: z.ZodType<Condition> = z.unknown().superRefine((value, ctx) => {
  const check = (v: unknown, at: (string | number)[]): void => {
    const issue = (message: string, sub: (string | number)[] = []) =>
      ctx.addIssue({ code: 'custom', path: [...at, ...sub], message });
    if (v === null || typeof v !== 'object' || Array.isArray(v))
      return issue(
        'expected a condition: { fact, <comparison> }, { all: [...] }, { any: [...] } or { not: ... }',
      );
    const o = v as Record<string, unknown>;
    for (const join of ['all', 'any'] as const)
      if (Object.hasOwn(o, join)) {
        if (Object.keys(o).length !== 1) return issue(`"${join}" stands alone in its condition`);
        if (!Array.isArray(o[join]) || !(o[join] as unknown[]).length)
          return issue('expected a non-empty list of conditions', [join]);
        (o[join] as unknown[]).forEach((c, i) => check(c, [...at, join, i]));
        return;
      }
    if (Object.hasOwn(o, 'not')) {
      if (Object.keys(o).length !== 1) return issue('"not" stands alone in its condition');
      return check(o.not, [...at, 'not']);
    }
    if (typeof o.fact !== 'string' || !/^[a-z][a-z0-9-]*\.[A-Za-z]+$/.test(o.fact))
      return issue('expected "<probe id>.<fact>", e.g. "disk.maxUsedPercent"', ['fact']);
    const ops = Object.keys(o).filter((k) => k !== 'fact');
    if (!ops.length) return issue(`expected a comparison (allowed: ${COMPARISONS.join(', ')})`);
    const isRef = (v: unknown) =>
      v !== null &&
      typeof v === 'object' &&
      !Array.isArray(v) &&
      Object.keys(v).length === 1 &&
      typeof (v as { fact?: unknown }).fact === 'string' &&
      /^[a-z][a-z0-9-]*\.[A-Za-z]+$/.test((v as { fact: string }).fact);
    for (const op of ops) {
      const arg = o[op];
      if (['eq', 'ne', 'gt', 'gte', 'lt', 'lte'].includes(op) && isRef(arg)) continue;
      if (!(COMPARISONS as readonly string[]).includes(op))
        issue(`"${op}" is not a comparison (allowed: ${COMPARISONS.join(', ')})`, [op]);
      else if (['gt', 'gte', 'lt', 'lte'].includes(op) && typeof arg !== 'number')
        issue('expected a number, or { fact: <probe>.<fact> }', [op]);
      else if (op === 'exists' && typeof arg !== 'boolean') issue('expected true or false', [op]);
      else if (op === 'in' && !(Array.isArray(arg) && arg.every(isScalar)))
        issue('expected a list of values', [op]);
      else if ((op === 'eq' || op === 'ne') && !isScalar(arg))
        issue('expected a string, number, boolean or null', [op]);
    }
  };
  check(value, []);
}) as unknown as z.ZodType<Condition>;

function isScalar(v: unknown): boolean {
  return v === null || ['string', 'number', 'boolean'].includes(typeof v);
}

const probe = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({ kind: z.literal('container') }),
    z.strictObject({ kind: z.literal('logs'), tail: z.number().int().min(10).max(5000).default(500) }),
    z.strictObject({ kind: z.literal('memory') }),
    z.strictObject({ kind: z.literal('rollout') }),
    z.strictObject({ kind: z.literal('processes') }),
    z.strictObject({
      kind: z.literal('disk'),
      /** Paths inside the container whose filesystems are checked (`df -P`). */
      paths: z.array(absolutePath).min(1).max(20).default(['/']),
      /** Also the Docker host's filesystem that holds the engine's data. */
      host: z.boolean().default(true),
    }),
    z.strictObject({ kind: z.literal('health') }),
    z.strictObject({ kind: z.literal('database') }),
    z.strictObject({
      kind: z.literal('connections'),
      poolSizeVariable: z
        .string()
        .regex(/^[A-Z_][A-Z0-9_]*$/)
        .default('DB_POOL_SIZE'),
    }),
    z.strictObject({ kind: z.literal('command'), command, timeout: duration.default(30_000 as never) }),
    z.strictObject({ kind: z.literal('git-log'), since: duration.default(14_400_000 as never) }),
    z.strictObject({
      kind: z.literal('prometheus'),
      query: z.string().min(1).max(2000),
      recent: duration.default(300_000 as never),
      baseline: duration
        .default(3_600_000 as never)
        .refine((ms) => ms >= 60_000 && ms <= 86_400_000, 'expected between 1m and 24h'),
      factor: z.number().min(1).max(1000).default(2),
    }),
  ],
  { error: () => `expected a probe kind (allowed: ${PROBE_KINDS.join(', ')})` },
);

const verify = z.union([
  z.literal('health'),
  z.strictObject({ probe: slug('probe id'), expect: condition, within: duration.default(30_000 as never) }),
]);

const stepCommon = {
  id: slug('step id'),
  gate: z.enum(['auto', 'approve']).default('auto'),
  description: z.string().min(1).max(500),
  timeout: duration.default(120_000 as never),
  verify: verify.optional(),
  when: condition.optional(),
  onReject: z.enum(['escalate', 'continue']).default('escalate'),
  onFailure: z.enum(['escalate', 'continue']).default('escalate'),
};
const step = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({ ...stepCommon, kind: z.literal('restart') }),
    z.strictObject({ ...stepCommon, kind: z.literal('start-dependency') }),
    z.strictObject({
      ...stepCommon,
      kind: z.literal('recreate'),
      env: z.record(z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'expected a variable name'), z.string().max(500)),
    }),
    z.strictObject({
      ...stepCommon,
      kind: z.literal('raise-memory-limit'),
      factor: z.number().min(1.1).max(16).optional(),
    }),
    z.strictObject({ ...stepCommon, kind: z.literal('rollback') }),
    z.strictObject({ ...stepCommon, kind: z.literal('scale'), replicas: z.number().int().min(2).max(10) }),
    z.strictObject({ ...stepCommon, kind: z.literal('exec'), command }),
    z.strictObject({ ...stepCommon, kind: z.literal('escalate') }),
    z.strictObject({
      ...stepCommon,
      kind: z.literal('watch'),
      probe: slug('probe id'),
      expect: condition,
      for: duration.optional(),
      every: duration.optional(),
    }),
  ],
  { error: () => `expected a step kind (allowed: ${STEP_KINDS.join(', ')})` },
);

export const runbookDefinitionSchema = z
  .strictObject({
    scenario: slug('scenario name'),
    description: z.string().min(1).max(1000),
    alertnames: z.array(z.string().min(1).max(200)).default([]),
    probes: z
      .record(slug('probe id'), probe)
      .refine((p) => Object.keys(p).length > 0, 'declare at least one probe'),
    rules: z.array(z.strictObject({ when: condition.optional(), cause: slug('cause name') })).min(1),
    causes: z.record(
      slug('cause name'),
      z.strictObject({ summary: z.string().min(1).max(500), steps: z.array(step).max(20).default([]) }),
    ),
    source: z.string().default('config'),
  })
  .superRefine((def, ctx) => {
    const causes = Object.keys(def.causes);
    const probes = new Map(Object.entries(def.probes));
    const stepIds = new Set(Object.values(def.causes).flatMap((c) => c.steps.map((st) => st.id)));
    /** A fact must name a declared probe (or `settings`, or a step) and a field that it reports. */
    const checkFact = (fact: string, at: (string | number)[]) => {
      const [probeId, field] = fact.split('.');
      const p = probes.get(probeId);
      const known: readonly string[] | undefined = p
        ? PROBE_FACTS[p.kind]
        : probeId === 'settings'
          ? SETTINGS_FACTS
          : stepIds.has(probeId)
            ? STEP_FACTS
            : undefined;
      if (!known)
        ctx.addIssue({
          code: 'custom',
          path: at,
          message: `"${fact}" reads probe "${probeId}", which is not declared (declared: ${[...probes.keys()].join(', ')}; also settings and step ids)`,
        });
      else if (!known.includes(field))
        ctx.addIssue({
          code: 'custom',
          path: at,
          message: `${p ? `a ${p.kind} probe` : probeId === 'settings' ? 'settings' : `step ${probeId}`} reports no "${field}" (allowed: ${known.join(', ')})`,
        });
    };
    const checkTemplate = (text: string, at: (string | number)[]) => {
      for (const m of text.matchAll(/\{\{\s*([^}\s]+)\s*\}\}/g)) checkFact(m[1], at);
    };
    def.rules.forEach((rule, i) => {
      if (!Object.hasOwn(def.causes, rule.cause))
        ctx.addIssue({
          code: 'custom',
          path: ['rules', i, 'cause'],
          message: `unknown cause "${rule.cause}" (allowed: ${causes.join(', ') || 'none declared'})`,
        });
      if (rule.when) for (const f of factsRead(rule.when)) checkFact(f, ['rules', i, 'when']);
    });
    const last = def.rules[def.rules.length - 1];
    if (last?.when)
      ctx.addIssue({
        code: 'custom',
        path: ['rules', def.rules.length - 1],
        message: 'the last rule must have no "when": it is the cause when nothing else matches',
      });
    const seenSteps = new Set<string>();
    for (const [name, cause] of Object.entries(def.causes)) {
      checkTemplate(cause.summary, ['causes', name, 'summary']);
      cause.steps.forEach((s, i) => {
        const at = ['causes', name, 'steps', i];
        checkTemplate(s.description, [...at, 'description']);
        if (seenSteps.has(s.id))
          ctx.addIssue({ code: 'custom', path: [...at, 'id'], message: `step id "${s.id}" is used twice` });
        seenSteps.add(s.id);
        if (s.when) for (const f of factsRead(s.when)) checkFact(f, [...at, 'when']);
        if (s.kind === 'recreate')
          for (const [k, v] of Object.entries(s.env)) checkTemplate(v, [...at, 'env', k]);
        if (s.kind === 'watch') {
          if (!probes.has(s.probe))
            ctx.addIssue({
              code: 'custom',
              path: [...at, 'probe'],
              message: `unknown probe "${s.probe}" (declared: ${[...probes.keys()].join(', ')})`,
            });
          else for (const f of factsRead(s.expect)) checkFact(f, [...at, 'expect']);
        }
        if (s.verify && s.verify !== 'health') {
          if (!probes.has(s.verify.probe))
            ctx.addIssue({
              code: 'custom',
              path: [...at, 'verify', 'probe'],
              message: `unknown probe "${s.verify.probe}" (declared: ${[...probes.keys()].join(', ')})`,
            });
          else for (const f of factsRead(s.verify.expect)) checkFact(f, [...at, 'verify', 'expect']);
        }
      });
    }
  })
  .transform((def): RunbookDefinition => ({
    scenario: def.scenario,
    description: def.description,
    alertnames: def.alertnames,
    probes: Object.fromEntries(
      Object.entries(def.probes).map(([id, p]) => [
        id,
        p.kind === 'command'
          ? { kind: 'command', command: p.command, timeoutMs: p.timeout }
          : p.kind === 'git-log'
            ? { kind: 'git-log', sinceMs: p.since }
            : p.kind === 'prometheus'
              ? {
                  kind: 'prometheus',
                  query: p.query,
                  recentMs: p.recent,
                  baselineMs: p.baseline,
                  factor: p.factor,
                }
              : p,
      ]),
    ) as RunbookDefinition['probes'],
    rules: def.rules,
    causes: Object.fromEntries(
      Object.entries(def.causes).map(([name, c]) => [
        name,
        {
          summary: c.summary,
          steps: c.steps.map(({ timeout, verify: v, ...s }) => ({
            ...s,
            timeoutMs: timeout,
            ...(v === undefined
              ? {}
              : { verify: v === 'health' ? v : { probe: v.probe, expect: v.expect, withinMs: v.within } }),
          })),
        },
      ]),
    ) as RunbookDefinition['causes'],
    source: def.source,
  }));

/** A definition that does not validate: the message names the file, the path inside it, what is allowed. */
export class RunbookDefinitionError extends Error {
  constructor(
    message: string,
    readonly file: string,
    readonly at: string,
  ) {
    super(message);
    this.name = 'RunbookDefinitionError';
  }
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys')
    return `unknown field ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  if (issue.code === 'invalid_value' && issue.values?.length)
    return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  return issue.message;
}

/** Validates one definition (already parsed from YAML or JSON); `file` names it in errors, its base name in `source`. */
export function parseRunbookDefinition(raw: unknown, file: string): RunbookDefinition {
  const withSource =
    raw && typeof raw === 'object' && !Array.isArray(raw)
      ? { ...(raw as object), source: path.basename(file) }
      : raw;
  const result = runbookDefinitionSchema.safeParse(withSource);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const at = issue.path.map(String).join('.') || '(root)';
  const more = result.error.issues.length > 1 ? ` (and ${result.error.issues.length - 1} more)` : '';
  throw new RunbookDefinitionError(`${file}: at "${at}": ${describeIssue(issue)}${more}`, file, at);
}

/** Reads and validates one file (`.yaml`, `.yml` or `.json`). */
export function readRunbookDefinition(file: string): RunbookDefinition {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new RunbookDefinitionError(`${file}: cannot read: ${(err as Error).message}`, file, '(file)');
  }
  let raw: unknown;
  try {
    raw = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text, { maxAliasCount: 50 });
  } catch (err) {
    throw new RunbookDefinitionError(
      `${file}: not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`,
      file,
      '(file)',
    );
  }
  return parseRunbookDefinition(raw, file);
}

export const RUNBOOK_FILE = /\.(ya?ml|json)$/;

/** Every definition in a directory (none when it does not exist), in file-name order. */
export function readRunbookDirectory(dir: string): RunbookDefinition[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => RUNBOOK_FILE.test(n));
  } catch {
    return [];
  }
  return names.sort().map((n) => readRunbookDefinition(path.join(dir, n)));
}
