/** Who may act from Slack and PagerDuty: approvers by step, service and default; responders; attribution. */
import { parseConfig } from '../../../config';
import { approversFor, mayAct } from '../../../intake/access';
import { THREE_TEAMS } from '../../support/team-config';
import { rawTestConfig, testConfig } from '../../../scripts/testbed/config';

const primary = { channel: 'slack', userId: 'U0PRIMARY', name: 'carol' } as const;
const techLead = { channel: 'slack', userId: 'U0TECHLEAD' } as const;
const stranger = { channel: 'slack', userId: 'U0STRANGER', name: 'mallory' } as const;

describe('approvers', () => {
  const config = testConfig({
    access: { approvers: ['secondary-oncall'], stepApprovers: { 'rollback-image': ['devops-manager'] } },
    services: { checkout: { approvers: ['tech-lead'] } },
  });

  test('the step wins over the service, the service over the default', () => {
    expect(approversFor(config, 'checkout', 'rollback-image')).toEqual(['devops-manager']);
    expect(approversFor(config, 'checkout', 'restart-container')).toEqual(['tech-lead']);
    expect(approversFor(config, 'payments', 'restart-container')).toEqual(['secondary-oncall']);
  });

  test('without any list, the contacts on the escalation ladder approve', () => {
    const ladder = testConfig().escalation.ladder.flatMap((l) => l.contacts);
    expect(approversFor(testConfig(), 'checkout', 'restart-container')).toEqual([...new Set(ladder)]);
  });

  test('a ladder level that pages a schedule makes its participants approvers', () => {
    const scheduled = testConfig({ escalation: { ladder: [{ name: 'on call', schedule: 'primary' }] } });
    expect(approversFor(scheduled, 'checkout', 'restart-container').sort()).toEqual([
      'primary-oncall',
      'secondary-oncall',
      'tech-lead',
    ]);
  });

  test("a team's service: everyone its policy pages, at any severity, team targets included", () => {
    const teams = testConfig(THREE_TEAMS);
    expect(approversFor(teams, 'checkout', 'restart-container')).toEqual([
      'primary-oncall',
      'app-lead',
      'db-oncall',
      'tech-lead',
      'sec-lead',
    ]);
    expect(approversFor(teams, 'orders-db', 'restart-container')).toEqual(['db-oncall', 'db-lead']);
  });

  test('outside strings as step or service names fall through to the default', () => {
    for (const name of ['constructor', '__proto__', 'toString'])
      expect(approversFor(config, name, name)).toEqual(['secondary-oncall']);
  });

  test('an approver is allowed and named; anyone else is refused with who may', () => {
    expect(mayAct(config, techLead, 'approve', { service: 'checkout', step: 'restart-container' })).toEqual({
      allowed: true,
      by: 'Tech lead (slack:U0TECHLEAD)',
    });
    const refused = mayAct(config, primary, 'reject', { service: 'checkout', step: 'restart-container' });
    expect(refused).toMatchObject({
      allowed: false,
      reason:
        'Primary on-call (slack:U0PRIMARY) may not reject step "restart-container" of checkout: its approvers are Tech lead',
    });
    expect(mayAct(config, stranger, 'approve', { service: 'payments', step: 'x' }).allowed).toBe(false);
  });
});

describe('responders', () => {
  test('by default any contact may acknowledge and resolve; a stranger may not, and is told how to fix it', () => {
    const config = testConfig();
    expect(mayAct(config, primary, 'acknowledge', { service: 'checkout' }).allowed).toBe(true);
    expect(mayAct(config, stranger, 'resolve', { service: 'checkout' })).toEqual({
      allowed: false,
      by: 'slack:U0STRANGER (mallory)',
      reason:
        'slack:U0STRANGER (mallory) is not a configured contact: add their slackUserId to a contact, or "slack:U0STRANGER" to access.allow',
    });
  });

  test('the allowlist and "anyone" open it; a service list narrows it', () => {
    expect(
      mayAct(testConfig({ access: { allow: ['slack:U0STRANGER'] } }), stranger, 'acknowledge', {
        service: 'checkout',
      }).allowed,
    ).toBe(true);
    expect(
      mayAct(testConfig({ access: { responders: 'anyone' } }), stranger, 'acknowledge', { service: 'x' })
        .allowed,
    ).toBe(true);
    const narrowed = testConfig({ services: { checkout: { responders: ['tech-lead'] } } });
    expect(mayAct(narrowed, primary, 'acknowledge', { service: 'checkout' })).toMatchObject({
      allowed: false,
      reason:
        'Primary on-call (slack:U0PRIMARY) may not acknowledge incidents of checkout: its responders are Tech lead',
    });
    expect(mayAct(narrowed, techLead, 'acknowledge', { service: 'checkout' }).allowed).toBe(true);
  });

  test('a PagerDuty user is matched by pagerdutyUserId, never by the name the event carries', () => {
    const config = testConfig();
    expect(
      mayAct(config, { channel: 'pagerduty', userId: 'P0PRIMARY' }, 'resolve', { service: 's' }),
    ).toEqual({
      allowed: true,
      by: 'Primary on-call (pagerduty:P0PRIMARY)',
    });
    expect(
      mayAct(config, { channel: 'pagerduty', userId: 'PEVE', name: 'Primary on-call' }, 'resolve', {
        service: 's',
      }).allowed,
    ).toBe(false);
  });
});

test('config: unknown contacts in approver and responder lists are errors naming the path', () => {
  expect(() =>
    parseConfig(rawTestConfig({ access: { stepApprovers: { restart: ['nobody'] } } }), 'runbooks.json'),
  ).toThrow(
    'runbooks.json: invalid configuration at "access.stepApprovers.restart.0": unknown contact "nobody"',
  );
  expect(() =>
    parseConfig(rawTestConfig({ services: { api: { responders: ['ghost'] } } }), 'runbooks.json'),
  ).toThrow('runbooks.json: invalid configuration at "services.api.responders.0": unknown contact "ghost"');
  expect(() => parseConfig(rawTestConfig({ access: { allow: ['U0STRANGER'] } }), 'runbooks.json')).toThrow(
    'at "access.allow.0": expected "slack:U…" or "pagerduty:P…"',
  );
});
