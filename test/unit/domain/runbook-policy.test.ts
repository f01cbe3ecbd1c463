import {
  LOG_SCAN_PATTERN,
  classifyLogLines,
  memoryHigh,
  memoryPercent,
  planWontStart,
  poolExhausted,
  primaryCause,
  proposedPoolSize,
  rollbackCandidate,
  withinRestartBudget,
  type ContainerFacts,
} from '../../../domain/runbook-policy';

describe('log-line classification', () => {
  test.each([
    [
      '2026-11-26T12:00:00Z FATAL missing required environment variable DATABASE_URL; refusing to start',
      'missing-env',
      'DATABASE_URL',
    ],
    ["KeyError: 'SECRET_KEY'", 'missing-env', 'SECRET_KEY'],
    ['Error: REDIS_URL is not set', 'missing-env', 'REDIS_URL'],
    [
      'ERROR database connection failed: connect ECONNREFUSED 127.0.0.1:5432',
      'database-unreachable',
      undefined,
    ],
    [
      'psycopg2.OperationalError: could not connect to server: Connection refused',
      'database-unreachable',
      undefined,
    ],
    ['Error: listen EADDRINUSE: address already in use :::8080', 'port-conflict', undefined],
    ["PermissionError: [Errno 13] Permission denied: '/app/data/cache'", 'permission-denied', undefined],
    ['ERROR ConnectionPool exhausted (5/5 in use, 0 waiting)', 'pool-exhausted', undefined],
    ['FATAL: sorry, too many clients already', 'pool-exhausted', undefined],
    ['Traceback (most recent call last):', 'error', undefined],
    ['java.lang.IllegalStateException: boom', 'error', undefined],
  ])('%s → %s', (line, cause, variable) => {
    const [finding] = classifyLogLines([line]);
    expect(finding.cause).toBe(cause);
    expect(finding.variable).toBe(variable);
    expect(new RegExp(LOG_SCAN_PATTERN, 'i').test(line)).toBe(true); // the activity keeps this line
  });

  test('ordinary lines are not findings', () => {
    expect(classifyLogLines(['INFO insights-app listening on 18080', 'GET /health 200 3ms'])).toEqual([]);
  });

  test('the most telling cause wins over generic errors, the latest line is the evidence', () => {
    const findings = classifyLogLines([
      'ERROR something odd',
      'ERROR database connection failed: timeout',
      'FATAL cannot start without the database',
      'ERROR database connection failed: refused',
    ]);
    expect(primaryCause(findings)).toEqual({
      cause: 'database-unreachable',
      line: 'ERROR database connection failed: refused',
    });
    expect(primaryCause([])).toBeNull();
  });
});

describe("which step comes next when the app won't start", () => {
  const exited: ContainerFacts = {
    exists: true,
    running: false,
    status: 'exited',
    exitCode: 1,
    oomKilled: false,
  };
  const dbUp = { reachable: true, containerRunning: true };
  const line = (cause: string, variable?: string) => ({
    cause: cause as never,
    line: `x ${cause}`,
    ...(variable ? { variable } : {}),
  });
  test.each([
    [
      'missing variable → escalate, never restart',
      exited,
      line('missing-env', 'LICENSE_KEY'),
      dbUp,
      'escalate',
      /LICENSE_KEY/,
    ],
    ['permissions → escalate', exited, line('permission-denied'), dbUp, 'escalate', /permission/],
    ['port conflict → escalate', exited, line('port-conflict'), dbUp, 'escalate', /port conflict/],
    [
      'database container stopped → start it first',
      exited,
      line('database-unreachable'),
      { reachable: false, containerRunning: false },
      'start-database-then-restart',
      /database is down/,
    ],
    [
      'database unreachable and not ours → escalate',
      exited,
      line('database-unreachable'),
      { reachable: false, containerRunning: null },
      'escalate',
      /database owner/,
    ],
    ['crash with the database up → restart', exited, line('error'), dbUp, 'restart', /exit code 1/],
    [
      'OOM-killed → restart',
      { ...exited, oomKilled: true, exitCode: 137 },
      null,
      dbUp,
      'restart',
      /OOM-killed/,
    ],
    [
      'running again → nothing',
      { ...exited, running: true, status: 'running', exitCode: null },
      null,
      dbUp,
      'none',
      /running again/,
    ],
    ['no container → escalate', { ...exited, exists: false }, null, dbUp, 'escalate', /does not exist/],
  ] as const)('%s', (_name, app, cause, db, kind, why) => {
    const plan = planWontStart(app, cause, db);
    expect(plan.kind).toBe(kind);
    expect(plan.why).toMatch(why);
  });
});

test('thresholds, budget, pool and rollback decisions', () => {
  expect(memoryPercent(205, 256)).toBe(80.1);
  expect(memoryPercent(1, 0)).toBe(0);
  expect(memoryHigh(80, 80, false)).toBe(true);
  expect(memoryHigh(79.9, 80, false)).toBe(false);
  expect(memoryHigh(10, 80, true)).toBe(true);
  expect(withinRestartBudget(2, 3)).toBe(true);
  expect(withinRestartBudget(3, 3)).toBe(false);
  expect(poolExhausted({ total: 5, maxConnections: 100 }, 5)).toBe(true);
  expect(poolExhausted({ total: 4, maxConnections: 100 }, 5)).toBe(false);
  expect(poolExhausted({ total: 97, maxConnections: 100 }, 200)).toBe(true);
  expect(proposedPoolSize(5, 20)).toBe(20);
  expect(proposedPoolSize(20, 20)).toBeNull();
  const now = Date.parse('2026-11-26T12:00:00Z');
  expect(
    rollbackCandidate(
      { createdAt: '2026-11-26T09:00:00Z', previous: 'app:1.2', current: 'app:1.3' },
      now,
      4 * 3_600_000,
    ),
  ).toBe('app:1.2');
  expect(
    rollbackCandidate(
      { createdAt: '2026-11-26T07:00:00Z', previous: 'app:1.2', current: 'app:1.3' },
      now,
      4 * 3_600_000,
    ),
  ).toBeNull();
  expect(
    rollbackCandidate(
      { createdAt: '2026-11-26T11:00:00Z', previous: null, current: 'app:1.3' },
      now,
      4 * 3_600_000,
    ),
  ).toBeNull();
});
