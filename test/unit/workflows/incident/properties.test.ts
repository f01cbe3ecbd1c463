/**
 * Property tests of the incident engine's pure core: fast-check generates configurations and sequences
 * of commands (with hostile arguments), alerts, runbook reports, cancellations and time jumps from 1 ms
 * to 30 days, and every invariant of `invariants.ts` is checked after every step. Bounded by count and
 * time; the seed is printed, and PROPERTY_SEED=<seed> replays a run.
 */
import fc from 'fast-check';
import type { RunbooksConfig } from '../../../../config';
import { WEEKDAYS, type Weekday } from '../../../../domain/oncall';
import { COMMAND_NAMES, refusal, type CommandName } from '../../../../workflows/incident/commands';
import { drain, deliver, openModel, type ModelMessage, type ModelPage } from '../../../support/engine-model';
import { testConfig } from '../../../../scripts/testbed/config';

const T0 = Date.parse('2026-12-01T00:00:00Z');
const SEC = 1000;
const MIN = 60 * SEC;
const DAY = 24 * 60 * MIN;
const RUNS = Number(process.env.PROPERTY_RUNS ?? 10_000);
const TIME_LIMIT_MS = 60_000;
const SEED = Number(process.env.PROPERTY_SEED ?? (Date.now() ^ (process.pid << 8)) % 2 ** 31);
const BASE = testConfig();

type Action = ModelMessage | { kind: 'jump'; ms: number };

interface Setup {
  ladder: number;
  repeat: number;
  afterLadder: 'repeat-last' | 'stop';
  severity: 'P1' | 'P2' | 'P3';
  rules: Record<'P1' | 'P2' | 'P3', RunbooksConfig['severityPolicy']['P1']>;
  /** The engine revision (absent: the default). */
  revision?: 3 | 4 | 5 | 6 | 7 | 8 | 9;
  /** Revision 6 and later: the ladder is an escalation policy's, with a delay per level (absent: respondWithin)… */
  delays?: (number | undefined)[];
  /** Revision 7: the first rule pages the primary schedule, which may keep business hours. */
  businessHours?: { days: Weekday[]; from: string; to: string };
  /** …and maybe a ladder of its own for one severity. */
  severityLadder?: {
    severity: 'P1' | 'P2' | 'P3';
    ladder: number;
    repeat: number;
    afterLadder: 'repeat-last' | 'stop';
  };
}

const duration = fc.oneof(
  fc.integer({ min: 1, max: 10 }).map((n) => n * SEC),
  fc.integer({ min: SEC, max: 4 * 3600 * SEC }),
);
const rule = fc.record({
  respondWithin: duration,
  notify: fc.constantFrom('page' as const, 'slack' as const, 'ticket' as const),
  escalate: fc.boolean(),
  notifyManagement: fc.boolean(),
  statusUpdateEvery: fc.option(duration, { nil: null }),
  ackTimeout: fc.option(duration, { nil: null }),
});
const setup: fc.Arbitrary<Setup> = fc.record({
  ladder: fc.integer({ min: 1, max: 6 }),
  repeat: fc.integer({ min: 0, max: 3 }),
  afterLadder: fc.constantFrom('repeat-last' as const, 'stop' as const),
  severity: fc.constantFrom('P1' as const, 'P2' as const, 'P3' as const),
  rules: fc.record({ P1: rule, P2: rule, P3: rule }),
  revision: fc.constantFrom(
    3 as const,
    4 as const,
    5 as const,
    6 as const,
    7 as const,
    8 as const,
    9 as const,
  ),
  delays: fc.array(fc.option(duration, { nil: undefined }), { minLength: 6, maxLength: 6 }),
  businessHours: fc.option(
    fc.record({
      days: fc.subarray([...WEEKDAYS], { minLength: 1 }),
      from: fc.constantFrom('00:00', '09:00', '13:30'),
      to: fc.constantFrom('13:45', '17:00', '23:59'),
    }),
    { nil: undefined },
  ),
  severityLadder: fc.option(
    fc.record({
      severity: fc.constantFrom('P1' as const, 'P2' as const, 'P3' as const),
      ladder: fc.integer({ min: 1, max: 4 }),
      repeat: fc.integer({ min: 0, max: 2 }),
      afterLadder: fc.constantFrom('repeat-last' as const, 'stop' as const),
    }),
    { nil: undefined },
  ),
});

/** Anything a caller could send: JSON of any shape, and keys chosen to hurt (`__proto__`, `toString`). */
const hostile = fc.oneof(
  fc.jsonValue(),
  fc.anything(),
  fc.dictionary(
    fc.constantFrom(
      '__proto__',
      'constructor',
      'toString',
      'by',
      'severity',
      'text',
      'step',
      'incident',
      'alerts',
      'evidence',
      'team',
      'person',
      'schedule',
    ),
    fc.anything(),
  ),
);
const severityText = fc.constantFrom('P1', 'P2', 'P3', 'p1', ' P2 ', 'critical', '', 'P0');
const commandArgs = fc.oneof(
  hostile,
  fc.record(
    {
      by: fc.oneof(fc.constantFrom('alice', 'bob', '', 'tech-lead', 'Primary on-call (slack:U1)'), hostile),
      severity: fc.oneof(severityText, hostile),
      text: fc.oneof(fc.string(), hostile),
      reason: fc.string(),
      step: fc.oneof(fc.constantFrom('restart', 'rollback'), hostile),
      incident: fc.oneof(fc.constant('incident-1'), fc.string()),
      // Revision 7's responders: configured targets, unknown ones, and two at once.
      team: fc.oneof(fc.constantFrom('db', '@db', 'nope'), hostile),
      person: fc.constantFrom('tech-lead', 'devops-manager', 'nobody'),
      schedule: fc.constantFrom('primary', 'none'),
      role: fc.oneof(fc.constantFrom('commander', 'scribe', 'captain'), hostile),
      // Revision 8's merge: another incident, one that is gone, itself, nothing.
      into: fc.oneof(fc.constantFrom('incident-2', 'incident-gone', 'incident-1', 'wf-1', ''), hostile),
    },
    { requiredKeys: [] },
  ),
);
const alert = fc.record({
  fingerprint: fc.constantFrom('a', 'b', 'c', 'd'),
  status: fc.constantFrom('firing' as const, 'resolved' as const),
  summary: fc.constantFrom('disk full', 'latency high'),
  labels: fc.oneof(fc.constant({ alertname: 'X' }), fc.dictionary(fc.string(), fc.anything())),
  source: fc.constantFrom('alertmanager', 'grafana', 'generic'),
  severity: fc.option(fc.constantFrom('P1', 'P2', 'P3'), { nil: undefined }),
  url: fc.option(fc.oneof(fc.string(), fc.integer()), { nil: undefined }),
});
const action: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('jump' as const),
      ms: fc.oneof(fc.integer({ min: 1, max: 2 * SEC }), duration, fc.integer({ min: 1, max: 30 * DAY })),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('command' as const),
      name: fc.constantFrom(...COMMAND_NAMES),
      args: commandArgs,
      update: fc.boolean(),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('alert' as const),
      payload: fc.oneof(fc.record({ alerts: fc.array(alert, { maxLength: 3 }) }), hostile),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('runbookReport' as const),
      payload: fc.oneof(
        hostile,
        fc.record({
          kind: fc.constantFrom('finding', 'action', 'proposal', 'escalate'),
          message: fc.string(),
          evidence: hostile,
          step: hostile,
          phase: hostile,
        }),
      ),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'cancel' as const }) },
);

function configFor(s: Setup): RunbooksConfig {
  const config = structuredClone(BASE);
  const level = config.escalation.ladder[0];
  config.escalation = {
    ...config.escalation,
    ladder: Array.from({ length: s.ladder }, (_, i) => ({ ...level, name: `level ${i}` })),
    repeat: s.repeat,
    afterLadder: s.afterLadder,
  };
  config.severityPolicy = s.rules;
  if (s.revision) config.engine = { revision: s.revision };
  if (s.revision !== undefined && s.revision >= 6) {
    const contacts = Object.keys(config.contacts);
    const rules = (n: number) =>
      Array.from({ length: n }, (_, i) => ({
        targets: [
          i === 0 && s.revision! >= 7 ? { schedule: 'primary' } : { contact: contacts[i % contacts.length] },
        ],
        ...(s.delays?.[i] === undefined ? {} : { delay: s.delays[i] }),
      }));
    const bySeverity = s.severityLadder;
    config.escalationPolicies = {
      p: {
        rules: rules(s.ladder),
        repeat: s.repeat,
        afterLadder: s.afterLadder,
        severity: bySeverity
          ? { [bySeverity.severity]: { ...bySeverity, rules: rules(bySeverity.ladder) } }
          : {},
      },
    };
    config.services = { checkout: { escalationPolicy: 'p' } as RunbooksConfig['services'][string] };
    config.teams = { db: { name: 'Database', members: ['tech-lead'], escalationPolicy: 'p' } };
    if (s.revision >= 7 && s.businessHours) config.schedules.primary.businessHours = s.businessHours;
  }
  return config;
}

/** Runs one sequence, checking the invariants (in `drain`) and the rules about closed incidents. */
function run(s: Setup, actions: Action[]): ModelPage[] {
  const state = openModel(configFor(s), s.severity, T0);
  const pages: ModelPage[] = [];
  let now = T0;
  if (drain(state, now, pages).kind === 'complete') return pages;
  for (const a of actions) {
    if (a.kind === 'jump') now += a.ms;
    else {
      const closed = state.status === 'cancelled' || state.status === 'resolved';
      if (closed)
        for (const name of COMMAND_NAMES) {
          const why = refusal(state, name as CommandName, {});
          // A closed incident takes no command, except an escalation that reopens it during its close.
          if (why === null && !(name === 'escalate' && state.status === 'resolved'))
            throw new Error(`a ${state.status} incident accepts ${name}`);
        }
      deliver(state, a, now);
    }
    if (drain(state, now, pages).kind === 'complete') break;
  }
  return pages;
}

test(`invariants hold over ${RUNS} random sequences (seed ${SEED})`, () => {
  console.log(
    `incident properties: seed ${SEED} (PROPERTY_SEED=${SEED} replays), ${RUNS} runs, ${TIME_LIMIT_MS / 1000} s at most`,
  );
  let ran = 0;
  fc.assert(
    fc.property(setup, fc.array(action, { maxLength: 30 }), (s, actions) => {
      ran += 1;
      run(s, actions);
    }),
    { numRuns: RUNS, seed: SEED, interruptAfterTimeLimit: TIME_LIMIT_MS, markInterruptAsFailure: false },
  );
  console.log(`incident properties: ${ran} sequences checked`);
  expect(ran).toBeGreaterThan(Math.min(RUNS, 1000));
});

describe('regression sequences that once broke the engine', () => {
  const shortRungs: Setup = {
    ladder: 4,
    repeat: 1,
    afterLadder: 'repeat-last',
    severity: 'P1',
    rules: {
      P1: {
        respondWithin: 4 * SEC,
        notify: 'page',
        escalate: true,
        notifyManagement: false,
        statusUpdateEvery: null,
        ackTimeout: null,
      },
      P2: {
        respondWithin: 8 * SEC,
        notify: 'slack',
        escalate: true,
        notifyManagement: false,
        statusUpdateEvery: null,
        ackTimeout: null,
      },
      P3: {
        respondWithin: 60 * MIN,
        notify: 'ticket',
        escalate: false,
        notifyManagement: false,
        statusUpdateEvery: null,
        ackTimeout: null,
      },
    },
  };
  const walk = (ms: number): Action[] => Array.from({ length: ms / SEC }, () => ({ kind: 'jump', ms: SEC }));
  const toP2: Action = {
    kind: 'command',
    name: 'setSeverity',
    args: { severity: 'P2', by: 'alice' },
    update: true,
  };

  test('issue 24: severity changed after the ladder ran out (repeat-last) keeps paging at the P2 cadence', () => {
    const pages = run(shortRungs, [...walk(40 * SEC), toP2, ...walk(40 * SEC)]);
    const ladder = pages.filter((p) => p.at <= T0 + 40 * SEC);
    expect(ladder.length).toBe(8 + 3); // 8 rungs at 0, 4, …, 28 s, then the last level at 32, 36 and 40 s
    const after = pages.filter((p) => p.at > T0 + 40 * SEC).map((p) => (p.at - T0) / SEC);
    expect(after).toEqual([48, 56, 64, 72, 80]);
    expect(pages.every((p, i) => i < 3 || p.level === 3 || p.at <= T0 + 28 * SEC)).toBe(true);
  });

  test('issue 24: the same with afterLadder stop: the end is stated and nothing spins', () => {
    const pages = run({ ...shortRungs, afterLadder: 'stop' }, [...walk(40 * SEC), toP2, ...walk(40 * SEC)]);
    expect(pages.map((p) => (p.at - T0) / SEC)).toEqual([0, 4, 8, 12, 16, 20, 24, 28]);
  });

  test('seed 1132292437: a ticket severity acknowledged before its first rung, re-alerted, states its end', () => {
    const rules = {
      ...shortRungs.rules,
      P2: { ...shortRungs.rules.P2, notify: 'ticket' as const, escalate: false, ackTimeout: SEC },
    };
    const ack: Action = { kind: 'command', name: 'acknowledge', args: [], update: false };
    const pages = run({ ...shortRungs, ladder: 1, repeat: 0, severity: 'P2', rules }, [
      ack,
      { kind: 'jump', ms: SEC },
    ]);
    expect(pages.map((p) => p.reason)).toEqual([
      expect.stringMatching(/not resolved within 0:01: alerting again/),
    ]);
  });

  test('issue 24: a group that opens at P3 and turns critical is raised and paged at once', () => {
    const critical: Action = {
      kind: 'alert',
      payload: {
        alerts: [
          {
            fingerprint: 'b',
            status: 'firing',
            summary: 'disk critical',
            labels: {},
            source: 'alertmanager',
            severity: 'P1',
          },
        ],
      },
    };
    const pages = run({ ...shortRungs, severity: 'P3' }, [...walk(3 * SEC), critical, ...walk(5 * SEC)]);
    expect(pages.map((p) => [(p.at - T0) / SEC, p.level])).toEqual([
      [3, 0],
      [7, 1],
    ]);
  });
});
