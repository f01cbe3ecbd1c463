import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseDf, parseProcesses } from '../../../activities/platform/docker';
import { ConfigError } from '../../../config';
import {
  RunbookDefinitionError,
  readRunbookDefinition,
  readRunbookDirectory,
} from '../../../config/runbook-definitions';
import { routeFromLabels } from '../../../intake/routing';
import { fromGeneric, AlertRejected } from '../../../intake/alerts';
import { decideClaim } from '../../../workflows/ledger/restart-ledger';
import { diagnose, fillTemplate, holds, type Facts } from '../../../domain/runbook-definition';
import { testConfig } from '../../../scripts/testbed/config';

const dir = mkdtempSync(path.join(os.tmpdir(), 'runbook-defs-'));
const write = (name: string, text: string) => {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
};

/** A valid definition, as YAML lines, that each broken case changes in one place. */
const GOOD = `scenario: cache-full
description: The cache volume fills up.
alertnames: [CacheFull]
probes:
  disk: { kind: disk, paths: [/cache] }
rules:
  - when: { fact: disk.maxUsedPercent, gte: 90 }
    cause: cache-filling
  - cause: fine
causes:
  cache-filling:
    summary: "{{disk.fullestPath}} at {{disk.maxUsedPercent}}%"
    steps:
      - id: purge-cache
        kind: exec
        gate: approve
        description: purge the cache
        command: rm -rf /cache/tmp
        timeout: 30s
        verify: { probe: disk, expect: { fact: disk.maxUsedPercent, lt: 80 }, within: 20s }
  fine:
    summary: all good
`;

describe('runbook definition files', () => {
  test('the shipped definitions are valid, and the good example reads back', () => {
    const shipped = readRunbookDirectory(path.resolve(__dirname, '../../../runbooks'));
    expect(shipped.map((d) => d.scenario)).toContain('disk-full');
    const d = readRunbookDefinition(write('good.yaml', GOOD));
    expect(d.source).toBe('good.yaml');
    expect(d.causes['cache-filling'].steps[0]).toMatchObject({
      id: 'purge-cache',
      kind: 'exec',
      gate: 'approve',
      timeoutMs: 30_000,
      verify: { probe: 'disk', withinMs: 20_000 },
    });
    expect(d.probes.disk).toEqual({ kind: 'disk', paths: ['/cache'], host: true });
  });

  // Ten (and more) ways to get a definition wrong: each refused with the file, the path and what is allowed.
  const broken: [string, (good: string) => string, RegExp][] = [
    [
      'unknown probe kind',
      (g) => g.replace('kind: disk,', 'kind: dsk,'),
      /at "probes\.disk\.kind": expected a probe kind \(allowed: container, logs, memory, rollout, processes, disk, health, database, connections, command, prometheus, git-log\)/,
    ],
    [
      'unknown step kind',
      (g) => g.replace('kind: exec', 'kind: reboot'),
      /at "causes\.cache-filling\.steps\.0\.kind": expected a step kind \(allowed: restart, start-dependency, recreate, raise-memory-limit, rollback, scale, exec, escalate, watch\)/,
    ],
    [
      'a rule names an undeclared cause',
      (g) => g.replace('    cause: cache-filling', '    cause: cache-fill'),
      /at "rules\.0\.cause": unknown cause "cache-fill" \(allowed: cache-filling, fine\)/,
    ],
    [
      'a rule reads an undeclared probe',
      (g) => g.replace('{ fact: disk.maxUsedPercent, gte: 90 }', '{ fact: dsk.maxUsedPercent, gte: 90 }'),
      /at "rules\.0\.when": "dsk\.maxUsedPercent" reads probe "dsk", which is not declared \(declared: disk; also settings and step ids\)/,
    ],
    [
      'a fact the probe does not report',
      (g) => g.replace('{ fact: disk.maxUsedPercent, gte: 90 }', '{ fact: disk.percent, gte: 90 }'),
      /at "rules\.0\.when": a disk probe reports no "percent" \(allowed: maxUsedPercent, fullestPath, hostUsedPercent\)/,
    ],
    [
      'the last rule has a condition',
      (g) => g.replace('  - cause: fine', '  - when: { fact: disk.maxUsedPercent, lt: 90 }\n    cause: fine'),
      /at "rules\.1": the last rule must have no "when"/,
    ],
    [
      'a bad duration',
      (g) => g.replace('timeout: 30s', 'timeout: soon'),
      /at "causes\.cache-filling\.steps\.0\.timeout": expected a duration like "15m" or "1h", got "soon"/,
    ],
    [
      'a misspelt field',
      (g) => g.replace('    steps:', '    step:'),
      /at "causes\.cache-filling": unknown field "step"/,
    ],
    [
      'an unknown comparison',
      (g) => g.replace('gte: 90', 'above: 90'),
      /at "rules\.0\.when\.above": "above" is not a comparison \(allowed: eq, ne, gt, gte, lt, lte, in, exists\)/,
    ],
    [
      'a gate that is neither auto nor approve',
      (g) => g.replace('gate: approve', 'gate: ask'),
      /at "causes\.cache-filling\.steps\.0\.gate": expected one of "auto", "approve"/,
    ],
    [
      'a step id used twice',
      (g) =>
        g.replace(
          '  fine:\n    summary: all good\n',
          '  fine:\n    summary: all good\n    steps:\n      - { id: purge-cache, kind: escalate, description: again }\n',
        ),
      /at "causes\.fine\.steps\.0\.id": step id "purge-cache" is used twice/,
    ],
    [
      'verification by an undeclared probe',
      (g) => g.replace('verify: { probe: disk,', 'verify: { probe: df,'),
      /at "causes\.cache-filling\.steps\.0\.verify\.probe": unknown probe "df" \(declared: disk\)/,
    ],
    [
      'a template reads an unknown fact',
      (g) => g.replace('{{disk.fullestPath}}', '{{disk.path}}'),
      /at "causes\.cache-filling\.summary": a disk probe reports no "path"/,
    ],
    [
      'a command of several lines',
      (g) => g.replace('command: rm -rf /cache/tmp', 'command: "rm -rf /cache/tmp\\nreboot"'),
      /at "causes\.cache-filling\.steps\.0\.command": expected one line of shell/,
    ],
    ['not YAML at all', () => 'scenario: [unclosed', /broken-\d+\.yaml: not valid YAML: Flow sequence/],
    [
      'a scenario name that is not a name',
      (g) => g.replace('scenario: cache-full', 'scenario: Cache Full!'),
      /at "scenario": expected a scenario name like "disk-full"/,
    ],
  ];
  test.each(broken.map(([name, change, error], i) => [name, change, error, i] as const))(
    'refused: %s',
    (_, change, error, i) => {
      const file = write(`broken-${i}.yaml`, change(GOOD));
      expect(change(GOOD)).not.toBe(GOOD);
      let thrown: unknown;
      try {
        readRunbookDefinition(file);
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(RunbookDefinitionError);
      expect((thrown as Error).message).toContain(`${file}:`);
      expect((thrown as Error).message).toMatch(error);
    },
  );
});

describe('definitions in the configuration', () => {
  const inline = {
    scenario: 'cache-full',
    description: 'x',
    alertnames: ['CacheFull'],
    probes: { c: { kind: 'container' } },
    rules: [{ cause: 'ok' }],
    causes: { ok: { summary: 'fine' } },
  };

  test('their alertnames route alerts, after the config routing; the generic route accepts their scenario', () => {
    const config = testConfig({
      runbookDefinitions: [inline],
      routing: { scenarioByAlertname: { DiskFull: 'health' } },
    });
    expect(routeFromLabels({ service: 'a', alertname: 'CacheFull' }, config)).toMatchObject({
      scenario: 'cache-full',
    });
    // The config's own routing wins over a definition's alertnames.
    expect(routeFromLabels({ service: 'a', alertname: 'DiskFull' }, config)).toMatchObject({
      scenario: 'health',
    });
    expect(routeFromLabels({ service: 'a', alertname: 'DiskSpaceLow' }, config)).toMatchObject({
      scenario: 'disk-full',
    });
    expect(routeFromLabels({ service: 'a', alertname: 'constructor' }, config)).toMatchObject({
      scenario: 'health',
    });
    expect(fromGeneric({ service: 'a', summary: 's', scenario: 'cache-full' }, config).input.scenario).toBe(
      'cache-full',
    );
    expect(() => fromGeneric({ service: 'a', summary: 's', scenario: 'cache-fll' }, config)).toThrow(
      AlertRejected,
    );
    expect(() => fromGeneric({ service: 'a', summary: 's', scenario: 'cache-fll' }, config)).toThrow(
      /allowed: wont-start, high-memory, pool-exhausted, health, cache-full, disk-full/,
    );
  });

  test('one definition per scenario, and routing only to scenarios that exist', () => {
    expect(() => testConfig({ runbookDefinitions: [{ ...inline, scenario: 'disk-full' }] })).toThrow(
      /disk-full\.yaml: scenario "disk-full" is already defined by config/,
    );
    expect(() => testConfig({ routing: { scenarioByAlertname: { X: 'nope' } } })).toThrow(ConfigError);
    expect(() => testConfig({ routing: { scenarioByAlertname: { X: 'nope' } } })).toThrow(
      /routing\.scenarioByAlertname\.X": unknown scenario "nope" \(allowed: wont-start, high-memory, pool-exhausted, health, disk-full, performance\)/,
    );
  });
});

describe('the interpreter decisions (pure)', () => {
  const facts: Facts = new Map<string, string | number | boolean | null>([
    ['disk.maxUsedPercent', 93],
    ['disk.fullestPath', '/var/log/app'],
    ['processes.available', false],
    ['logs.cause', null],
  ]);

  test('comparisons, all/any/not, and unknown facts that never match', () => {
    expect(holds({ fact: 'disk.maxUsedPercent', gte: 90 }, facts)).toBe(true);
    expect(holds({ fact: 'disk.maxUsedPercent', gt: 93 }, facts)).toBe(false);
    expect(holds({ fact: 'disk.fullestPath', in: ['/', '/var/log/app'] }, facts)).toBe(true);
    expect(holds({ fact: 'processes.available', eq: false }, facts)).toBe(true);
    expect(holds({ fact: 'disk.fullestPath', lt: 5 }, facts)).toBe(false); // a text is not a number
    expect(holds({ fact: 'memory.usagePercent', lt: 50 }, facts)).toBe(false);
    expect(holds({ fact: 'memory.usagePercent', ne: 1 }, facts)).toBe(false);
    expect(holds({ fact: 'logs.cause', exists: false }, facts)).toBe(true);
    expect(holds({ fact: 'disk.fullestPath', exists: true }, facts)).toBe(true);
    expect(
      holds(
        {
          all: [{ fact: 'disk.maxUsedPercent', gte: 90 }, { not: { fact: 'processes.available', eq: true } }],
        },
        facts,
      ),
    ).toBe(true);
    expect(
      holds(
        {
          any: [
            { fact: 'memory.usagePercent', gte: 1 },
            { fact: 'disk.maxUsedPercent', lt: 10 },
          ],
        },
        facts,
      ),
    ).toBe(false);
  });

  test('the first rule that holds names the cause; templates read facts', () => {
    const rules = [
      { when: { fact: 'disk.maxUsedPercent', gte: 99 }, cause: 'full' },
      { when: { fact: 'disk.maxUsedPercent', gte: 90 }, cause: 'filling' },
      { cause: 'fine' },
    ];
    expect(diagnose(rules, facts)).toEqual({ cause: 'filling', rule: 1 });
    expect(diagnose(rules, new Map())).toEqual({ cause: 'fine', rule: 2 });
    expect(fillTemplate('{{disk.fullestPath}} is {{ disk.maxUsedPercent }}% ({{logs.cause}})', facts)).toBe(
      '/var/log/app is 93% (?)',
    );
  });

  test('the restart ledger: a budget of one grants one claimant, again on retry, and frees after the window', () => {
    const req = (claimant: string) => ({ claimant, budget: 1, windowMs: 60_000 });
    const first = decideClaim([], req('inc-a/restart'), 1000);
    expect(first.answer).toMatchObject({ granted: true, used: 1 });
    const second = decideClaim(first.claims, req('inc-b/restart'), 2000);
    expect(second.answer).toEqual({ granted: false, used: 1, budget: 1, holders: ['inc-a/restart'] });
    expect(decideClaim(second.claims, req('inc-a/restart'), 3000).answer.granted).toBe(true);
    expect(decideClaim(second.claims, req('inc-a/restart'), 3000).claims).toHaveLength(1);
    expect(decideClaim(second.claims, req('inc-b/restart'), 61_001).answer).toMatchObject({
      granted: true,
      used: 1,
    });
    expect(decideClaim([], { claimant: 'x', budget: 0, windowMs: 1 }, 0).answer.granted).toBe(false);
  });
});

describe('what the probes read from inside a container', () => {
  test('df -P: each filesystem once, used percent and free MiB', () => {
    const out = [
      'Filesystem     1024-blocks    Used Available Capacity Mounted on',
      'tmpfs                10240    9520       720      93% /var/log/app',
      'overlay           52403200 9000000  43403200      18% /',
      'tmpfs                10240    9520       720      93% /var/log/app',
    ].join('\n');
    expect(parseDf(out)).toEqual([
      { filesystem: 'tmpfs', mountedOn: '/var/log/app', usedPercent: 93, availableMiB: 1 },
      { filesystem: 'overlay', mountedOn: '/', usedPercent: 18, availableMiB: 42386 },
    ]);
    expect(parseDf('df: /nope: No such file or directory')).toEqual([]);
  });

  test("the process table keeps PID 1 and its descendants: no exec'd shell (ours or another probe's), no runc init; biggest memory first", () => {
    const out = [
      '1 0 1600 0.1 sleep',
      '55 0 8600 0.0 runc:[2:INIT]',
      '56 0 1900 0.0 sh',
      '40 0 1900 0.0 sh',
      '41 40 4500 0.0 ps',
      '7 1 90000 12.5 python app.py',
    ].join('\n');
    expect(parseProcesses(out)).toEqual([
      { pid: 7, rssKiB: 90000, cpuPercent: 12.5, command: 'python app.py' },
      { pid: 1, rssKiB: 1600, cpuPercent: 0.1, command: 'sleep' },
    ]);
  });
});
