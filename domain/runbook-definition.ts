/**
 * Runbooks as data: the shape of a definition (validated at start-up by `config/runbook-definitions.ts`)
 * and the pure decisions the interpreter makes over it — which rule matches the probes' facts, and how a
 * template reads. No I/O and no clock: the interpreter workflow and `npm run runbook -- test` share them.
 */

/** A value a probe observed: facts are named `<probe id>.<field>`, e.g. `disk.maxUsedPercent`. */
export type FactValue = string | number | boolean | null;
export type Facts = ReadonlyMap<string, FactValue>;

/** Another fact as the other side of a comparison: `{ gte: { fact: settings.memoryThresholdPercent } }`. */
export type FactRef = { fact: string };

/** A test over facts. A fact a probe did not report fails every comparison except `exists: false`. */
export type Condition =
  | {
      fact: string;
      eq?: FactValue | FactRef;
      ne?: FactValue | FactRef;
      gt?: number | FactRef;
      gte?: number | FactRef;
      lt?: number | FactRef;
      lte?: number | FactRef;
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
  /** A Deployment on Kubernetes: its revisions (the rollback's "recent deployment"), rollout and pods. */
  | { kind: 'rollout' }
  | { kind: 'processes' }
  | { kind: 'disk'; paths: string[]; host: boolean }
  | { kind: 'health' }
  | { kind: 'database' }
  | { kind: 'connections'; poolSizeVariable: string }
  | { kind: 'command'; command: string; timeoutMs: number }
  /** The seed's `git log --oneline --since="4 hours ago"` in the service's configured repository. */
  | { kind: 'git-log'; sinceMs: number }
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
    'name',
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
  // `cause` is the most telling; the counts are lines per cause (the seed's patterns).
  logs: [
    'scanned',
    'matches',
    'cause',
    'variable',
    'missingEnv',
    'permissionDenied',
    'portConflict',
    'databaseUnreachable',
    'poolExhausted',
    'errors',
  ],
  memory: ['usagePercent', 'usageMiB', 'limitMiB', 'hostTotalMiB', 'hostAvailableMiB'],
  rollout: [
    'revision',
    'previousRevision',
    'image',
    'previousImage',
    'rolloutAgeHours',
    'complete',
    'replicas',
    'ready',
    'available',
    'updated',
    'crashLooping',
    'imagePullFailing',
    'oomKilled',
    'pending',
    'restarts',
  ],
  processes: ['available', 'count', 'topCommand', 'topRssMiB', 'topCpuPercent'],
  disk: ['maxUsedPercent', 'fullestPath', 'hostUsedPercent'],
  health: ['healthy', 'failing'],
  database: ['reachable', 'container', 'containerRunning'],
  connections: ['total', 'active', 'maxConnections', 'poolSize', 'exhausted'],
  command: ['exitCode', 'lines'],
  prometheus: ['value', 'baseline', 'ratio', 'anomalous'],
  'git-log': ['commits', 'newest'],
};

/** Facts from the configuration's runbook settings, named `settings.<field>`. */
export const SETTINGS_FACTS = [
  'memoryThresholdPercent',
  'targetPoolSize',
  'memoryLimitFactor',
  'rollbackWindowHours',
  'restartBudget',
] as const;

/** Facts each step leaves behind, named `<step id>.<field>`, for later steps' `when`. */
export const STEP_FACTS = ['ran', 'approved', 'verified', 'held'] as const;

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
  /** The step runs only if this holds when it is reached (else it is skipped, and the next one comes). */
  when?: Condition;
  /** A rejected approval: stop and escalate (default), or go on to the next step. */
  onReject: 'escalate' | 'continue';
  /** A failed verification: stop and escalate (default), or go on to the next step. */
  onFailure: 'escalate' | 'continue';
} & (
  | { kind: 'restart' }
  | { kind: 'start-dependency' }
  | { kind: 'recreate'; env: Record<string, string> }
  /** `factor` absent: the configuration's `runbooks.memoryLimitFactor`. */
  | { kind: 'raise-memory-limit'; factor?: number }
  | { kind: 'rollback' }
  /** Replicas made like the container (the seed's `--scale app=N`), N counting the container itself. */
  | { kind: 'scale'; replicas: number }
  | { kind: 'exec'; command: string }
  | { kind: 'escalate' }
  /**
   * Watches a probe: its `expect` must keep holding, asked every `everyMs` for `forMs` (absent: the
   * configuration's `runbooks.sampleEvery` and `recurrenceWindow`). Changes nothing; leaves `<id>.held`.
   */
  | { kind: 'watch'; probe: string; expect: Condition; forMs?: number; everyMs?: number }
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
  // The other side: a constant, or another fact (unknown: the comparison fails).
  const other = (v: FactValue | FactRef): FactValue | undefined =>
    v !== null && typeof v === 'object' ? facts.get(v.fact) : v;
  if (condition.eq !== undefined && value !== other(condition.eq)) return false;
  if (condition.ne !== undefined && (other(condition.ne) === undefined || value === other(condition.ne)))
    return false;
  if (condition.in !== undefined && !condition.in.includes(value as FactValue)) return false;
  for (const [op, bound] of [
    ['gt', condition.gt],
    ['gte', condition.gte],
    ['lt', condition.lt],
    ['lte', condition.lte],
  ] as const) {
    if (bound === undefined) continue;
    const limit = other(bound);
    if (!isNumber(value) || !isNumber(limit)) return false;
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
  const refs = [condition.eq, condition.ne, condition.gt, condition.gte, condition.lt, condition.lte].flatMap(
    (v) => (v !== null && typeof v === 'object' ? [v.fact] : []),
  );
  return [condition.fact, ...refs];
}
