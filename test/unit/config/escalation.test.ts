/** Teams and escalation policies: resolution into the ladder an incident freezes, and start-up refusals naming the path. */
import { ConfigError, loadConfig, parseConfig } from '../../../config';
import { policyOf } from '../../../config/escalation';
import { toIncidentPolicy } from '../../../activities/policy';
import { rawTestConfig, testConfig } from '../../../scripts/testbed/config';
import { THREE_TEAMS } from '../../support/team-config';

type Patch = Record<string, unknown>;
const teams = (patch: Patch = {}) => testConfig({ ...THREE_TEAMS, ...patch });

// JSON.parse's untyped result lets each case break the configuration in its own way.
const rawTeams = () => JSON.parse(JSON.stringify(rawTestConfig(THREE_TEAMS)));
type Raw = ReturnType<typeof rawTeams>;

/** The path and message of the first refusal of the three-team configuration with `mutate` applied. */
function refusal(mutate: (c: Raw) => void): { key: string; message: string } {
  const raw = rawTeams();
  mutate(raw);
  try {
    parseConfig(raw, 'teams.json');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return { key: (err as ConfigError).key, message: (err as Error).message };
  }
  throw new Error('configuration was accepted');
}

describe('resolution', () => {
  test('a service follows its team policy; a team target pages who that team policy pages first', () => {
    const app = policyOf(teams(), 'checkout');
    expect(app).toMatchObject({ name: 'app-policy', team: 'app', repeat: 0, afterLadder: 'stop' });
    expect(app.rules).toEqual([
      { name: 'schedule app', contacts: [], schedule: 'app', delayMs: 300_000 },
      { name: 'app lead and the DB team', contacts: ['app-lead'], schedules: ['db'], delayMs: 600_000 },
      { name: 'Tech lead', contacts: ['tech-lead'] },
    ]);
    expect(app.severity.P1?.rules).toEqual([
      { name: 'schedule app + App lead', contacts: ['app-lead'], schedules: ['app'], delayMs: 120_000 },
      { name: 'team security', contacts: ['sec-lead'] },
    ]);
    expect(policyOf(teams(), 'orders-db')).toMatchObject({ name: 'db-policy', team: 'db' });
  });

  test('a service with no team or policy, and every old configuration, follows the top-level ladder', () => {
    for (const config of [loadConfig(), teams()]) {
      const p = policyOf(config, 'insights-app');
      expect(p.name).toBe('default');
      expect(p.team).toBeUndefined();
      expect(p.rules.map((r) => r.name)).toEqual(config.escalation.ladder.map((l) => l.name));
      expect(p.repeat).toBe(config.escalation.repeat);
    }
    // A service's own policy wins over its team's.
    const own = teams({ services: { checkout: { team: 'app', escalationPolicy: 'db-policy' } } });
    expect(policyOf(own, 'checkout')).toMatchObject({ name: 'db-policy', team: 'app' });
  });

  test('the incident policy carries the levels, schedules, delays and the severity ladders', () => {
    const policy = toIncidentPolicy(teams(), 'checkout');
    expect(policy).toMatchObject({ escalationPolicy: 'app-policy', team: 'app', revision: 6 });
    expect(policy.ladder[0]).toMatchObject({
      name: 'schedule app',
      contactIds: [],
      schedule: { name: 'app' },
    });
    expect(policy.ladder[1].schedules?.map((s) => s.name)).toEqual(['db']);
    expect(policy.ladder[1]).toMatchObject({ contactNames: ['App lead'], delayMs: 600_000 });
    expect(policy.bySeverity?.P1?.ladder.map((l) => l.name)).toEqual([
      'schedule app + App lead',
      'team security',
    ]);
    expect(policy.bySeverity?.P2).toBeUndefined();
    // The shipped configuration: the default policy, no severity ladders, levels as before.
    const shipped = toIncidentPolicy(loadConfig(), 'insights-app');
    expect(shipped).toMatchObject({ escalationPolicy: 'default' });
    expect(shipped.bySeverity).toBeUndefined();
    expect(shipped.ladder.every((l) => l.schedules === undefined && l.delayMs === undefined)).toBe(true);
  });
});

describe('start-up refusals name the path', () => {
  test.each([
    [
      'an unknown contact',
      (c: Raw) => (c.escalationPolicies['db-policy'].rules[1].targets[0].contact = 'nobody'),
      'escalationPolicies.db-policy.rules.1.targets.0.contact',
      /unknown contact "nobody"/,
    ],
    [
      'an unknown schedule in a severity ladder',
      (c: Raw) => (c.escalationPolicies['app-policy'].severity.P1.rules[0].targets[0].schedule = 'nights'),
      'escalationPolicies.app-policy.severity.P1.rules.0.targets.0.schedule',
      /unknown schedule "nights"/,
    ],
    [
      'an unknown team',
      (c: Raw) => (c.escalationPolicies['app-policy'].rules[1].targets[1].team = 'web'),
      'escalationPolicies.app-policy.rules.1.targets.1.team',
      /unknown team "web"/,
    ],
    [
      'an empty rule',
      (c: Raw) => (c.escalationPolicies['db-policy'].rules[0].targets = []),
      'escalationPolicies.db-policy.rules.0.targets',
      /at least one target/,
    ],
    [
      'a policy without rules',
      (c: Raw) => (c.escalationPolicies['db-policy'].rules = []),
      'escalationPolicies.db-policy.rules',
      /at least one rule/,
    ],
    [
      'a cycle of teams',
      (c: Raw) => c.escalationPolicies['db-policy'].rules.push({ targets: [{ team: 'app' }] }),
      'escalationPolicies.db-policy.rules.2.targets.0.team',
      /cycle: team app → team db → team app/,
    ],
    [
      'an unknown policy of a team',
      (c: Raw) => (c.teams.db.escalationPolicy = 'dba'),
      'teams.db.escalationPolicy',
      /unknown escalation policy "dba"/,
    ],
    [
      'an unknown team of a service',
      (c: Raw) => (c.services.checkout.team = 'shop'),
      'services.checkout.team',
      /unknown team "shop"/,
    ],
    [
      'an unknown team member',
      (c: Raw) => c.teams.security.members.push('ghost'),
      'teams.security.members.1',
      /unknown contact "ghost"/,
    ],
    [
      'a delay under engine revision 5',
      (c: Raw) => {
        c.engine.revision = 5;
        delete c.escalationPolicies['app-policy'].severity;
      },
      'escalationPolicies.app-policy.rules.0',
      /a rule with a "delay" needs engine.revision 6/,
    ],
    [
      'contacts beside a schedule under engine revision 5',
      (c: Raw) => {
        c.engine.revision = 5;
        c.escalationPolicies['app-policy'] = {
          rules: [{ targets: [{ contact: 'app-lead' }, { team: 'db' }] }],
        };
      },
      'escalationPolicies.app-policy.rules.0',
      /contacts beside a schedule needs engine.revision 6/,
    ],
    [
      'severity ladders under engine revision 5',
      (c: Raw) => (c.engine.revision = 5),
      'escalationPolicies.app-policy.severity',
      /per-severity rules need engine.revision 6/,
    ],
  ])('%s', (_what, mutate, key, message) => {
    const found = refusal(mutate);
    expect(found.key).toBe(key);
    expect(found.message).toMatch(message);
  });

  test('a team targeting itself is a cycle', () => {
    const found = refusal((c) =>
      c.escalationPolicies['security-policy'].rules.push({ targets: [{ team: 'security' }] }),
    );
    expect(found).toMatchObject({ key: 'escalationPolicies.security-policy.rules.1.targets.0.team' });
    expect(found.message).toMatch(/cycle: team security → team security/);
  });

  test('revision 5 runs the policies its levels express: one schedule, or contacts', () => {
    const config = testConfig({
      ...THREE_TEAMS,
      engine: { revision: 5 },
      escalationPolicies: { 'db-policy': THREE_TEAMS.escalationPolicies['db-policy'] },
      teams: { db: THREE_TEAMS.teams.db },
      services: { 'orders-db': { team: 'db' } },
    });
    expect(
      toIncidentPolicy(config, 'orders-db').ladder.map((l) => l.contactNames.join() || l.schedule?.name),
    ).toEqual(['db', 'DB lead']);
  });
});
