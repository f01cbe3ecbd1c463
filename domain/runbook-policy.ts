/**
 * Pure decisions of the runbooks (seed steps 2–3 and common scenarios 1–3): what log lines mean, which
 * thresholds are crossed, which step comes next. No I/O: the runbook workflow feeds them what activities saw.
 */

/** Lines worth keeping from a log tail: the seed's `grep -E "(error|exception|traceback|fatal)"` and friends. */
export const LOG_SCAN_PATTERN =
  '(error|exception|traceback|fatal|panic|refus|denied|EADDRINUSE|EACCES|missing|exhausted)';

export type StartupCause =
  'missing-env' | 'database-unreachable' | 'port-conflict' | 'permission-denied' | 'pool-exhausted' | 'error';

export interface LogFinding {
  cause: StartupCause;
  line: string;
  /** The variable named by a missing-env line. */
  variable?: string;
}

const RULES: { cause: StartupCause; re: RegExp }[] = [
  {
    cause: 'missing-env',
    re: /missing (?:required )?environment variable\s+["']?([A-Z_][A-Z0-9_]*)|KeyError: '([A-Z_][A-Z0-9_]*)'|\b([A-Z_][A-Z0-9_]{2,}) (?:is )?not set\b/i,
  },
  {
    cause: 'database-unreachable',
    re: /database connection failed|could not connect to (?:the )?(?:database|server)|ECONNREFUSED[^\n]*:5432|connection to server .* failed|database unavailable/i,
  },
  { cause: 'port-conflict', re: /EADDRINUSE|address already in use|port conflict/i },
  { cause: 'permission-denied', re: /permission denied|EACCES|EPERM|operation not permitted/i },
  {
    cause: 'pool-exhausted',
    re: /ConnectionPool exhausted|pool exhausted|too many clients already|remaining connection slots are reserved/i,
  },
  // Suffix match too: IllegalStateException, OperationalError.
  { cause: 'error', re: /(error|exception)\b|\b(traceback|fatal|panic)\b/i },
];

/** Classifies each line by the first rule it matches (most specific first). */
export function classifyLogLines(lines: readonly string[]): LogFinding[] {
  const findings: LogFinding[] = [];
  for (const line of lines) {
    for (const { cause, re } of RULES) {
      const m = re.exec(line);
      if (!m) continue;
      const variable = cause === 'missing-env' ? (m[1] ?? m[2] ?? m[3]) : undefined;
      findings.push({ cause, line: line.trim().slice(0, 300), ...(variable ? { variable } : {}) });
      break;
    }
  }
  return findings;
}

/** The most telling cause among the findings, or null when the log says nothing specific. */
export function primaryCause(findings: readonly LogFinding[]): LogFinding | null {
  const order: StartupCause[] = [
    'missing-env',
    'permission-denied',
    'port-conflict',
    'database-unreachable',
    'pool-exhausted',
    'error',
  ];
  for (const cause of order) {
    const hits = findings.filter((f) => f.cause === cause);
    if (hits.length) return hits[hits.length - 1];
  }
  return null;
}

export interface ContainerFacts {
  exists: boolean;
  running: boolean;
  status: string;
  exitCode: number | null;
  oomKilled: boolean;
}

export type WontStartPlan =
  | { kind: 'none'; why: string }
  | { kind: 'restart'; why: string }
  | { kind: 'start-database-then-restart'; why: string }
  | { kind: 'escalate'; why: string };

/** Scenario 1: what can be fixed is fixed; what cannot (configuration, permissions) goes to a human. */
export function planWontStart(
  app: ContainerFacts,
  cause: LogFinding | null,
  database: { reachable: boolean; containerRunning: boolean | null },
): WontStartPlan {
  if (!app.exists)
    return {
      kind: 'escalate',
      why: 'the application container does not exist: it must be deployed, not restarted',
    };
  if (cause?.cause === 'missing-env')
    return {
      kind: 'escalate',
      why: `missing environment variable ${cause.variable ?? '(unnamed)'}: set it in the service's configuration and redeploy; a restart cannot fix this`,
    };
  if (cause?.cause === 'permission-denied')
    return {
      kind: 'escalate',
      why: `file permission problem ("${cause.line}"): fix ownership (chown app:app /app/data) — not safe to automate`,
    };
  if (cause?.cause === 'port-conflict')
    return {
      kind: 'escalate',
      why: `port conflict ("${cause.line}"): another process holds the port; find and stop it`,
    };
  if (!database.reachable && database.containerRunning === false)
    return {
      kind: 'start-database-then-restart',
      why: 'the database is down (its container is stopped): start it, wait until ready, then restart the application',
    };
  if (!database.reachable)
    return {
      kind: 'escalate',
      why: 'the database is unreachable and not a container we manage: escalate to the database owner',
    };
  if (app.running) return { kind: 'none', why: 'the application is running again; nothing to restart' };
  return {
    kind: 'restart',
    why: `the application exited (${app.status}, exit code ${app.exitCode ?? 'n/a'}${app.oomKilled ? ', OOM-killed' : ''}) with the database reachable: restart it`,
  };
}

export function memoryPercent(usageBytes: number, limitBytes: number): number {
  return limitBytes > 0 ? Math.round((usageBytes / limitBytes) * 1000) / 10 : 0;
}

export function memoryHigh(percent: number, thresholdPercent: number, oomKilled: boolean): boolean {
  return oomKilled || percent >= thresholdPercent;
}

export function withinRestartBudget(recentRestarts: number, maxPerWindow: number): boolean {
  return recentRestarts < maxPerWindow;
}

/** Scenario 3: the app's connections fill its pool (or the server) → propose a bigger pool. */
export function poolExhausted(usage: { total: number; maxConnections: number }, poolSize: number): boolean {
  return usage.total >= poolSize || usage.total >= usage.maxConnections - 3;
}

export function proposedPoolSize(current: number, target: number): number | null {
  return current < target ? target : null;
}

/** "Rollback if recent deployment": the running image is younger than the window and a previous one is known. */
export function rollbackCandidate(
  image: { createdAt: string | null; previous: string | null; current: string },
  nowMs: number,
  windowMs: number,
): string | null {
  if (!image.previous || image.previous === image.current || !image.createdAt) return null;
  return nowMs - Date.parse(image.createdAt) <= windowMs ? image.previous : null;
}

export function formatBytes(bytes: number): string {
  return `${Math.round(bytes / 1048576)} MiB`;
}
