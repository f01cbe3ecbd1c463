import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, formatDuration, loadConfig, parseConfig, parseDuration } from '../../../config';
import raw from '../../../config/durable-runbooks.json';
import { ENGINE_REVISION, LATEST_ENGINE_REVISION } from '../../../domain/policy';

// JSON.parse's untyped result lets each case break the config in its own way.
const clone = () => JSON.parse(JSON.stringify(raw));
type Mutable = ReturnType<typeof clone>;

function keyOf(mutate: (c: Mutable) => void): string {
  const c = clone();
  mutate(c);
  try {
    parseConfig(c);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).key;
  }
  throw new Error('configuration was accepted');
}

test('the shipped configuration is valid and carries the seed policy', () => {
  const config = loadConfig();
  expect(config.severityPolicy.P1).toMatchObject({
    respondWithin: 900_000,
    notify: 'page',
    notifyManagement: true,
  });
  expect(config.severityPolicy.P2).toMatchObject({ respondWithin: 3_600_000, notify: 'slack' });
  expect(config.severityPolicy.P3).toMatchObject({
    respondWithin: 14_400_000,
    notify: 'ticket',
    escalate: false,
  });
  expect(config.escalation.ladder.map((l) => l.name)).toEqual([
    'primary on-call',
    'secondary on-call',
    'tech lead',
    'DevOps manager',
  ]);
  expect(config.resolution.stabilityWatch).toBe(1_800_000);
  // New incidents take the revision the previous release knows too, until the configuration says otherwise.
  expect(config.engine.revision).toBe(ENGINE_REVISION);
  expect(parseConfig({ ...clone(), engine: { revision: LATEST_ENGINE_REVISION } }).engine.revision).toBe(9);
  // The record is kept forever unless a retention is set; the API's trusted proxies are none.
  expect(config.store.retainFor).toBeNull();
  expect(parseConfig({ ...clone(), store: { retainFor: '90d' } }).store.retainFor).toBe(90 * 86_400_000);
  expect(config.api.trustedProxies).toEqual([]);
});

test.each([
  [
    'a bad duration',
    (c: Mutable) => (c.severityPolicy.P1.respondWithin = 'soon'),
    'severityPolicy.P1.respondWithin',
  ],
  [
    'an unknown key',
    (c: Mutable) => (c.severityPolicy.P2.respondwithin = '1h'),
    'severityPolicy.P2.respondwithin',
  ],
  [
    'an unknown contact in the ladder',
    (c: Mutable) => (c.escalation.ladder[1].contacts = ['nobody']),
    'escalation.ladder.1.contacts.0',
  ],
  [
    'a secret value instead of an env name',
    (c: Mutable) => (c.contacts['tech-lead'].pagerdutyRoutingKeyEnv = 'r0uting-key'),
    'contacts.tech-lead.pagerdutyRoutingKeyEnv',
  ],
  [
    'a bad URL',
    (c: Mutable) => (c.services['insights-app'].healthUrls = ['not a url']),
    'services.insights-app.healthUrls.0',
  ],
  ['a missing severity', (c: Mutable) => delete c.severityPolicy.P3, 'severityPolicy.P3'],
  [
    'an engine revision this code does not know',
    (c: Mutable) => (c.engine = { revision: LATEST_ENGINE_REVISION + 1 }),
    'engine.revision',
  ],
  [
    'a trusted proxy that is not an IP address',
    (c: Mutable) => (c.api = { trustedProxies: ['proxy.local'] }),
    'api.trustedProxies.0',
  ],
  [
    'a retention that is not a duration',
    (c: Mutable) => (c.store = { retainFor: 'forever' }),
    'store.retainFor',
  ],
])('%s is rejected naming the key', (_what, mutate, key) => {
  expect(keyOf(mutate)).toBe(key);
});

test('a file that is not JSON is reported with its path', () => {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'cfg-')), 'bad.json');
  writeFileSync(file, '{ nope');
  expect(() => loadConfig(file)).toThrow(new RegExp(`${file} is not valid JSON`));
});

test('durations', () => {
  expect(parseDuration('1h30m')).toBe(5_400_000);
  expect(parseDuration('250ms')).toBe(250);
  expect(parseDuration('15')).toBeUndefined();
  expect(formatDuration(5_400_000)).toBe('1h30m');
  expect(formatDuration(30_000)).toBe('30s');
});

test('every built-in scenario needs its definition: a runbooks directory without one is refused by name', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'runbooks-'));
  for (const scenario of ['wont-start', 'high-memory', 'health'])
    writeFileSync(
      path.join(dir, `${scenario}.yaml`),
      readFileSync(path.join(__dirname, `../../../runbooks/${scenario}.yaml`)),
    );
  const c = clone();
  c.runbooks = { ...c.runbooks, directory: dir };
  expect(() => parseConfig(c)).toThrow(
    expect.objectContaining({
      key: 'runbooks.directory',
      message: expect.stringContaining('no definition of the built-in scenario "pool-exhausted"'),
    }),
  );
  writeFileSync(
    path.join(dir, 'pool-exhausted.yaml'),
    readFileSync(path.join(__dirname, '../../../runbooks/pool-exhausted.yaml')),
  );
  expect(
    parseConfig(c)
      .runbookDefinitions.map((d) => d.scenario)
      .sort(),
  ).toEqual(['health', 'high-memory', 'pool-exhausted', 'wont-start']);
});
