/**
 * Runbooks as data: the shape of a definition (validated at start-up by `config/runbook-definitions.ts`)
 * and the pure decisions the interpreter makes over it — which rule matches the probes' facts, and how a
 * template reads. No I/O and no clock: the interpreter workflow and `npm run runbook -- test` share them.
 */

/** A value a probe observed: facts are named `<probe id>.<field>`, e.g. `disk.maxUsedPercent`. */
export type FactValue = string | number | boolean | null;
export type Facts = ReadonlyMap<string, FactValue>;

/** A test over facts. A fact a probe did not report fails every comparison except `exists: false`. */
export type Condition =
  | {
      fact: string;
      eq?: FactValue;
      ne?: FactValue;
      gt?: number;
      gte?: number;
      lt?: number;
      lte?: number;
      in?: FactValue[];
      exists?: boolean;
    }
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition };

export type ProbeDefinition =
  | { kind: 'container' }
  | { kind: 'logs'; tail: number }
  | { kind: 'memory' }
  | { kind: 'processes' }
  | { kind: 'disk'; paths: string[]; host: boolean }
  | { kind: 'health' }
  | { kind: 'database' }
  | { kind: 'connections'; poolSizeVariable: string }
  | { kind: 'command'; command: string; timeoutMs: number }
  | {
      kind: 'prometheus';
      /** PromQL; `$service` is replaced by the service's name. */
      query: string;
      /** The value is the average over the last `recentMs`; the baseline, over `baselineMs` before that. */
      recentMs: number;
      baselineMs: number;
      /** Anomalous when the value is at least this many times the baseline (or above a zero baseline). */
      factor: number;
    };

/** The facts each kind of probe reports (validation names them when a rule reads one that does not exist). */
export const PROBE_FACTS: Readonly<Record<ProbeDefinition['kind'], readonly string[]>> = {
  container: [
    'exists',
    'running',
    'status',
    'exitCode',
    'oomKilled',
    'restartCount',
    'image',
    'imageAgeHours',
    'previousImage',
  ],
  logs: ['scanned', 'matches', 'cause', 'variable'],
  memory: ['usagePercent', 'usageMiB', 'limitMiB'],
  processes: ['available', 'count', 'topCommand', 'topRssMiB', 'topCpuPercent'],
  disk: ['maxUsedPercent', 'fullestPath', 'hostUsedPercent'],
  health: ['healthy', 'failing'],
  database: ['reachable', 'containerRunning'],
  connections: ['total', 'maxConnections', 'poolSize', 'exhausted'],
  command: ['exitCode', 'lines'],
  prometheus: ['value', 'baseline', 'ratio', 'anomalous'],
};

/** What one probe saw: its facts (by field), a line for the timeline and its evidence. */
export interface ProbeReport {
  facts: Record<string, FactValue>;
  message: string;
  evidence?: string[];
}

export type StepDefinition = {
  /** Names the step in proposals, approvals (`approve <step>`), the ledger and the review. */
  id: string;
  gate: 'auto' | 'approve';
  /** What an approver is asked, and what the timeline says; `{{probe.field}}` reads a fact. */
  description: string;
  timeoutMs: number;
  /** After the step: the health endpoints, or a probe run again until its condition holds. */
  verify?: 'health' | { probe: string; expect: Condition; withinMs: number };
} & (
  | { kind: 'restart' }
  | { kind: 'start-dependency' }
  | { kind: 'recreate'; env: Record<string, string> }
  | { kind: 'raise-memory-limit'; factor: number }
  | { kind: 'rollback' }
  | { kind: 'exec'; command: string }
  | { kind: 'escalate' }
);

export type StepKind = StepDefinition['kind'];

export interface CauseDefinition {
  /** One line for the timeline and the outcome; `{{probe.field}}` reads a fact. */
  summary: string;
  steps: StepDefinition[];
}

export interface RuleDefinition {
  /** Absent: always matches (the last rule, as a default). */
  when?: Condition;
  cause: string;
}

export interface RunbookDefinition {
  scenario: string;
  description: string;
  /** Alerts with these `alertname` labels run this runbook (the config's routing may add more). */
  alertnames: string[];
  /** Probe id → probe, run in parallel before the rules. */
  probes: Record<string, ProbeDefinition>;
  /** First match wins; the last rule should have no `when`. */
  rules: RuleDefinition[];
  causes: Record<string, CauseDefinition>;
  /** Where the definition came from (file name), for errors and `runbook list`. */
  source: string;
}

/** Which steps change a target: they count against the restart budget and are skipped in dry-run. */
export const CHANGING_STEPS: ReadonlySet<StepKind> = new Set([
  'restart',
  'start-dependency',
  'recreate',
  'raise-memory-limit',
  'rollback',
  'exec',
]);

/**
 * Steps that take the service down for a moment: each claims one restart from the target's ledger. (A
 * memory limit is raised on the running container, without a restart.)
 */
export const RESTARTING_STEPS: ReadonlySet<StepKind> = new Set(['restart', 'recreate', 'rollback']);

const isNumber = (v: FactValue | undefined): v is number => typeof v === 'number' && Number.isFinite(v);

/** Whether the condition holds over the facts (pure; unknown facts never satisfy a comparison). */
export function holds(condition: Condition, facts: Facts): boolean {
  if ('all' in condition) return condition.all.every((c) => holds(c, facts));
  if ('any' in condition) return condition.any.some((c) => holds(c, facts));
  if ('not' in condition) return !holds(condition.not, facts);
  const known = facts.has(condition.fact) && facts.get(condition.fact) !== null;
  const value = facts.get(condition.fact);
  if (condition.exists !== undefined && condition.exists !== known) return false;
  if (!known) return condition.exists === false;
  if (condition.eq !== undefined && value !== condition.eq) return false;
  if (condition.ne !== undefined && value === condition.ne) return false;
  if (condition.in !== undefined && !condition.in.includes(value as FactValue)) return false;
  for (const [op, limit] of [
    ['gt', condition.gt],
    ['gte', condition.gte],
    ['lt', condition.lt],
    ['lte', condition.lte],
  ] as const) {
    if (limit === undefined) continue;
    if (!isNumber(value)) return false;
    if (op === 'gt' && !(value > limit)) return false;
    if (op === 'gte' && !(value >= limit)) return false;
    if (op === 'lt' && !(value < limit)) return false;
    if (op === 'lte' && !(value <= limit)) return false;
  }
  return true;
}

/** The first rule whose condition holds: its cause, and the rule's position (for the path printed by `test`). */
export function diagnose(
  rules: readonly RuleDefinition[],
  facts: Facts,
): { cause: string; rule: number } | null {
  for (let i = 0; i < rules.length; i++)
    if (!rules[i].when || holds(rules[i].when as Condition, facts)) return { cause: rules[i].cause, rule: i };
  return null;
}

/** `{{probe.field}}` replaced by the fact's value ("?" when the probe did not report it). */
export function fillTemplate(text: string, facts: Facts): string {
  return text.replace(/\{\{\s*([a-zA-Z][\w-]*\.[\w.-]+)\s*\}\}/g, (_, name: string) => {
    const v = facts.get(name);
    return v === undefined || v === null ? '?' : String(v);
  });
}

/** Every fact a condition reads (for validation: each must name a declared probe). */
export function factsRead(condition: Condition): string[] {
  if ('all' in condition) return condition.all.flatMap(factsRead);
  if ('any' in condition) return condition.any.flatMap(factsRead);
  if ('not' in condition) return factsRead(condition.not);
  return [condition.fact];
}
