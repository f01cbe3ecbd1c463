import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EXIT, main } from '../../cli/runbook';
import { describeWith } from '../../scripts/testbed/services';

const ROOT = path.resolve(__dirname, '../..');
const DISK_FULL = path.join(ROOT, 'runbooks/disk-full.yaml');
const FIXTURE = path.join(ROOT, 'runbooks/fixtures/disk-full.yaml');

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(
    argv,
    (s) => out.push(s),
    (s) => err.push(s),
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('npm run runbook -- list | validate', () => {
  test('list shows the definitions the worker loads (and a built-in runbook only where no file replaces it)', async () => {
    const r = await run('list');
    expect(r.code).toBe(EXIT.ok);
    expect(r.out).toMatch(/wont-start\s+wont-start\.yaml\s+InsightsAppDown, ContainerNotRunning/);
    expect(r.out).not.toMatch(/built in/); // every built-in scenario has its file now
    expect(r.out).toMatch(/disk-full\s+disk-full\.yaml\s+DiskFull, DiskSpaceLow/);
  });

  test('validate: a good file is described, a broken one named with its path and exit code 1', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'runbook-cli-'));
    const broken = path.join(dir, 'broken.yaml');
    writeFileSync(
      broken,
      'scenario: x\ndescription: y\nprobes: { a: { kind: nope } }\nrules: [{ cause: c }]\ncauses: { c: { summary: s } }\n',
    );
    const good = await run('validate', DISK_FULL);
    expect(good.code).toBe(EXIT.ok);
    expect(good.out).toMatch(/disk-full\.yaml: valid — scenario disk-full, 3 probes, 4 rules, 4 causes/);
    const bad = await run('validate', DISK_FULL, broken);
    expect(bad.code).toBe(EXIT.refused);
    expect(bad.err).toMatch(/broken\.yaml: at "probes\.a\.kind": expected a probe kind \(allowed: container/);
    expect((await run('validate')).code).toBe(EXIT.usage);
  });
});

describeWith(['testServer'], 'npm run runbook -- test (time-skipping server)', () => {
  test('rehearses disk-full with recorded facts: cause, approval, the step, the verification', async () => {
    const r = await run('test', DISK_FULL, '--fixture', FIXTURE);
    expect(r.code).toBe(EXIT.ok);
    const path = r.out.split('\n');
    const at = (re: RegExp) => path.findIndex((l) => re.test(l));
    // The path in order: diagnosis, proposal, approval, the change, its verification, the outcome.
    const steps = [
      /diagnosis \(rule 1\): log-directory-filling — the log directory \/var\/log\/app is 96% full/,
      /proposal \[clean-old-logs\] delete rotated logs/,
      /decision \[clean-old-logs\] clean-old-logs approved by rehearsal/,
      /mitigation done: clean-old-logs: exit code 0/,
      /verification by disk: holds — disk \(fixture\): maxUsedPercent=12/,
      /^outcome: mitigated \(cause: log-directory-filling\)/,
    ].map(at);
    expect(steps.every((i) => i >= 0)).toBe(true);
    expect([...steps].sort((a, b) => a - b)).toEqual(steps);
  }, 120_000);

  test('an unanswered approval times out on skipped time and escalates; a fixture with nothing full does nothing', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'runbook-cli-'));
    const silent = path.join(dir, 'silent.yaml');
    writeFileSync(
      silent,
      'probes:\n  disk: { maxUsedPercent: 97, fullestPath: /var/log/app, hostUsedPercent: 10 }\n',
    );
    const waited = await run('test', DISK_FULL, '--fixture', silent);
    expect(waited.out).toMatch(/no answer to "clean-old-logs" within 15:00: step skipped, escalating/);
    expect(waited.out).toMatch(
      /^outcome: escalated \(cause: log-directory-filling\) — approval for clean-old-logs timed out/m,
    );
    const calm = path.join(dir, 'calm.yaml');
    writeFileSync(calm, 'probes:\n  disk: { maxUsedPercent: 40, fullestPath: /, hostUsedPercent: 95 }\n');
    const host = await run('test', DISK_FULL, '--fixture', calm);
    expect(host.out).toMatch(/diagnosis \(rule 3\): host-disk-filling/);
    expect(host.out).toMatch(/^outcome: escalated \(cause: host-disk-filling\)/m);
  }, 180_000);

  test('a probe that fails in the verification escalates with the reason instead of failing the runbook', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'runbook-cli-'));
    const broken = path.join(dir, 'broken-verification.yaml');
    writeFileSync(
      broken,
      `${readFileSync(FIXTURE, 'utf8')}\nfailAfterChange: [disk]\n`.replace(/^expect:.*$/m, ''),
    );
    const r = await run('test', DISK_FULL, '--fixture', broken);
    expect(r.out).toMatch(/clean-old-logs approved by rehearsal/);
    expect(r.out).toMatch(
      /^outcome: escalated \(cause: log-directory-filling\) — the verification of clean-old-logs could not be checked: .*probe disk fails after the change/m,
    );
  }, 180_000);

  test('every shipped runbook rehearses with its fixture to the outcome the fixture expects; a wrong expectation exits 1', async () => {
    const shipped = readdirSync(path.join(ROOT, 'runbooks'))
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => f.replace(/\.yaml$/, ''));
    expect(shipped).toEqual(expect.arrayContaining(['wont-start', 'health', 'disk-full', 'performance']));
    for (const name of shipped) {
      const r = await run(
        'test',
        path.join(ROOT, 'runbooks', `${name}.yaml`),
        '--fixture',
        path.join(ROOT, 'runbooks', 'fixtures', `${name}.yaml`),
      );
      expect([name, r.code, r.err]).toEqual([name, EXIT.ok, '']);
      expect(r.out).toMatch(/: as expected$/m);
    }
    const dir = mkdtempSync(path.join(os.tmpdir(), 'runbook-cli-'));
    const wrong = path.join(dir, 'wrong.yaml');
    writeFileSync(
      wrong,
      `${readFileSync(FIXTURE, 'utf8').replace(/^expect:.*$/m, '')}expect: { result: nothing-to-do }\n`,
    );
    const r = await run('test', DISK_FULL, '--fixture', wrong);
    expect(r.code).toBe(EXIT.refused);
    expect(r.err).toBe(
      'expected {"result":"nothing-to-do"}, got {"cause":"log-directory-filling","result":"mitigated"}',
    );
  }, 300_000);
});
