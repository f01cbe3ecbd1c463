/** Who a page can reach: the production checks of the ladder (start-up) and of who is on call now (/readyz). */
import {
  productionMode,
  unpageableLevels,
  unpageableOnCall,
  ladderSchedules,
  whyUnpageable,
} from '../../../activities/reachability';
import { testConfig } from '../../../scripts/testbed/config';
import { THREE_TEAMS } from '../../support/team-config';

const ALL_KEYS = {
  PD_ROUTING_KEY_PRIMARY: 'k1',
  PD_ROUTING_KEY_SECONDARY: 'k2',
  PD_ROUTING_KEY_TECH_LEAD: 'k3',
  PD_ROUTING_KEY_MANAGER: 'k4',
  PD_ROUTING_KEY_SECURITY: 'k5',
};
// Monday 2026-12-07 10:00 in Berlin: the shipped schedule's business-hours layer (tech lead) is on call.
const MONDAY_10 = Date.parse('2026-12-07T09:00:00Z');
// Sunday 2026-12-06 10:00 in Berlin: the weekly layer is.
const SUNDAY_10 = Date.parse('2026-12-06T09:00:00Z');

test('production mode is NODE_ENV=production, nothing else', () => {
  expect(productionMode({ NODE_ENV: 'production' })).toBe(true);
  expect(productionMode({ NODE_ENV: ' production ' })).toBe(true);
  for (const value of [undefined, '', 'development', 'Production', 'test'])
    expect(productionMode({ NODE_ENV: value })).toBe(false);
});

test('a contact is pageable with its routing key set, and the reason names what is missing', () => {
  const config = testConfig();
  expect(whyUnpageable(config, ALL_KEYS, 'primary-oncall')).toBeNull();
  expect(whyUnpageable(config, { ...ALL_KEYS, PD_ROUTING_KEY_PRIMARY: '  ' }, 'primary-oncall')).toBe(
    'Primary on-call (primary-oncall): PD_ROUTING_KEY_PRIMARY is not set',
  );
  const keyless = testConfig();
  delete keyless.contacts['tech-lead'].pagerdutyRoutingKeyEnv;
  expect(whyUnpageable(keyless, ALL_KEYS, 'tech-lead')).toBe(
    'Tech lead (tech-lead): no pagerdutyRoutingKeyEnv',
  );
  expect(whyUnpageable(config, ALL_KEYS, 'constructor')).toBe('constructor: not a contact');
});

test('every level with someone pageable passes; a level with nobody is named with each reason', () => {
  const config = testConfig();
  expect(unpageableLevels(config, ALL_KEYS)).toEqual([]);
  const { PD_ROUTING_KEY_SECONDARY: _s, PD_ROUTING_KEY_SECURITY: _x, ...some } = ALL_KEYS;
  expect(unpageableLevels(config, some)).toEqual([
    'escalation.ladder[1] ("secondary on-call"): nobody on it can be paged: Secondary on-call (secondary-oncall): PD_ROUTING_KEY_SECONDARY is not set',
    'escalation.securityContacts ("security team"): nobody on it can be paged: Security team (security-team): PD_ROUTING_KEY_SECURITY is not set',
  ]);
  // Nothing set at all (the shipped example as it comes): every level.
  expect(unpageableLevels(config, {})).toHaveLength(6);
  // With SMTP configured, a contact with an address is reached by e-mail (the shipped security team's).
  const mailing = testConfig({ smtp: { host: 'smtp.example.com', from: 'runbooks@example.com' } });
  expect(unpageableLevels(mailing, some)).toEqual([
    'escalation.ladder[1] ("secondary on-call"): nobody on it can be paged: Secondary on-call (secondary-oncall): PD_ROUTING_KEY_SECONDARY is not set, and no email',
  ]);
});

test('a schedule level passes when anyone in its rotations can be paged, and fails now when its on-call cannot', () => {
  const config = testConfig({
    escalation: { ladder: [{ name: 'primary', contacts: [], schedule: 'primary' }] },
  });
  const { PD_ROUTING_KEY_TECH_LEAD: _t, ...noTechLead } = ALL_KEYS;
  // Someone in the rotations can be paged: start-up passes.
  expect(unpageableLevels(config, noTechLead)).toEqual([]);
  // On a Monday morning the tech lead holds the pager and cannot be paged: not ready, naming them.
  expect(unpageableOnCall(config, noTechLead, MONDAY_10)).toEqual([
    'escalation.ladder[0] ("primary"): on call now by schedule primary: Tech lead (tech-lead): PD_ROUTING_KEY_TECH_LEAD is not set',
  ]);
  expect(unpageableOnCall(config, noTechLead, SUNDAY_10)).toEqual([]);
  expect(unpageableOnCall(config, ALL_KEYS, MONDAY_10)).toEqual([]);
  // Overrides count as a page would count them: one that hands Monday to the primary makes it pageable,
  // one that hands Sunday to the tech lead does not.
  const hour = 3_600_000;
  const primaryOnMonday = { contactId: 'primary-oncall', from: MONDAY_10 - hour, to: MONDAY_10 + hour };
  expect(unpageableOnCall(config, noTechLead, MONDAY_10, { primary: [primaryOnMonday] })).toEqual([]);
  const techLeadOnSunday = { contactId: 'tech-lead', from: SUNDAY_10 - hour, to: SUNDAY_10 + hour };
  expect(unpageableOnCall(config, noTechLead, SUNDAY_10, { primary: [techLeadOnSunday] })).toEqual([
    'escalation.ladder[0] ("primary"): on call now by schedule primary: Tech lead (tech-lead): PD_ROUTING_KEY_TECH_LEAD is not set',
  ]);
  // Another schedule's overrides, or one already over, change nothing.
  expect(unpageableOnCall(config, noTechLead, MONDAY_10, { other: [primaryOnMonday] })).toHaveLength(1);
  expect(ladderSchedules(config)).toEqual(['primary']);
  // Nobody in it can be paged: refused at start-up, each person named once.
  const [problem] = unpageableLevels(config, { PD_ROUTING_KEY_MANAGER: 'k' });
  expect(problem).toMatch(/^escalation\.ladder\[0\] \("primary"\): nobody on it can be paged: /);
  for (const id of ['primary-oncall', 'secondary-oncall', 'tech-lead'])
    expect(problem.split(`(${id})`)).toHaveLength(2);
});

test('every escalation policy is checked, each level named by its path; a rule fails now only if nobody it pages can be', () => {
  const config = testConfig({
    ...THREE_TEAMS,
    contacts: {
      'app-lead': { name: 'App lead', pagerdutyRoutingKeyEnv: 'PD_APP_LEAD' },
      'db-oncall': { name: 'DB on-call', pagerdutyRoutingKeyEnv: 'PD_DB' },
      'db-lead': { name: 'DB lead', pagerdutyRoutingKeyEnv: 'PD_DB_LEAD' },
      'sec-lead': { name: 'Security lead' },
    },
  });
  const keys = { ...ALL_KEYS, PD_APP_LEAD: 'a', PD_DB: 'd', PD_DB_LEAD: 'l' };
  expect(unpageableLevels(config, keys)).toEqual([
    'escalationPolicies.app-policy.severity.P1.rules[1] ("team security"): nobody on it can be paged: Security lead (sec-lead): no pagerdutyRoutingKeyEnv',
    'escalationPolicies.security-policy.rules[0] ("Security lead"): nobody on it can be paged: Security lead (sec-lead): no pagerdutyRoutingKeyEnv',
  ]);
  expect(ladderSchedules(config)).toEqual(['app', 'db']);
  // The DB on-call cannot be paged: the DB policy's first rule reaches nobody, but the app policy's rule that
  // pages the DB team beside the app lead still reaches someone.
  const { PD_DB: _d, ...noDb } = keys;
  expect(unpageableOnCall(config, noDb, MONDAY_10)).toEqual([
    'escalationPolicies.db-policy.rules[0] ("schedule db"): on call now by schedule db: DB on-call (db-oncall): PD_DB is not set',
  ]);
  const { PD_APP_LEAD: _a, ...neither } = noDb;
  expect(unpageableOnCall(config, neither, MONDAY_10)).toEqual([
    'escalationPolicies.app-policy.rules[1] ("app lead and the DB team"): nobody it pages now can be paged: App lead (app-lead): PD_APP_LEAD is not set; DB on-call (db-oncall): PD_DB is not set',
    'escalationPolicies.db-policy.rules[0] ("schedule db"): on call now by schedule db: DB on-call (db-oncall): PD_DB is not set',
  ]);
});
