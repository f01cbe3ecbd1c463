/** Revision 9: a person's notification rules, what a page does with them, and the configurations refused. */
import { notificationPlan, notificationRuleProblems } from '../../../domain/notification-rules';
import { testConfig } from '../../../scripts/testbed/config';

const MIN = 60_000;

test('a page uses the rules that name its severity; a severity none names gets PagerDuty and e-mail at once', () => {
  const rules = [
    { channel: 'slack' as const, afterMs: 0, severities: ['P2' as const] },
    { channel: 'email' as const, afterMs: 5 * MIN, severities: ['P2' as const] },
    { channel: 'pagerduty' as const, afterMs: 0, severities: ['P1' as const] },
    { channel: 'email' as const, afterMs: 2 * MIN },
  ];
  expect(notificationPlan(rules, 'P2')).toEqual({
    now: ['slack'],
    later: [
      { channel: 'email', afterMs: 2 * MIN, rule: 3 },
      { channel: 'email', afterMs: 5 * MIN, rule: 1 },
    ],
    byRules: true,
  });
  expect(notificationPlan(rules, 'P1')).toEqual({
    now: ['pagerduty'],
    later: [{ channel: 'email', afterMs: 2 * MIN, rule: 3 }],
    byRules: true,
  });
  const onlyP1 = [{ channel: 'slack' as const, afterMs: 0, severities: ['P1' as const] }];
  expect(notificationPlan(onlyP1, 'P3')).toEqual({ now: ['pagerduty', 'email'], later: [], byRules: false });
  expect(notificationPlan(undefined, 'P1')).toEqual({
    now: ['pagerduty', 'email'],
    later: [],
    byRules: false,
  });
});

test('rules that leave a severity unheard at first, or name PagerDuty twice for one, are refused', () => {
  expect(
    notificationRuleProblems([
      { channel: 'slack', afterMs: 0, severities: ['P1'] },
      { channel: 'email', afterMs: 5 * MIN, severities: ['P2'] },
    ]),
  ).toEqual([{ index: 1, message: expect.stringMatching(/^P2: no rule reaches this person at once/) }]);
  expect(
    notificationRuleProblems([
      { channel: 'pagerduty', afterMs: 0 },
      { channel: 'pagerduty', afterMs: 10 * MIN, severities: ['P3'] },
    ]),
  ).toEqual([{ index: 1, message: expect.stringMatching(/^P3: PagerDuty is named twice/) }]);
  expect(
    notificationRuleProblems([
      { channel: 'slack', afterMs: 0 },
      { channel: 'email', afterMs: MIN },
    ]),
  ).toEqual([]);
});

describe('the configuration', () => {
  const SMTP = { host: 'localhost', port: 2525, from: 'runbooks@example.com' };
  const withRules = (rules: unknown[], patch: Record<string, unknown> = {}) =>
    testConfig({
      engine: { revision: 9 },
      smtp: SMTP,
      contacts: {
        'primary-oncall': { email: 'p@example.com', slackUserId: 'U0PRIMARY', notificationRules: rules },
      },
      ...patch,
    });
  const refusal = (f: () => unknown) => {
    try {
      f();
    } catch (err) {
      return { key: (err as { key?: string }).key, message: (err as Error).message };
    }
    throw new Error('accepted');
  };

  test('rules load with their durations in ms ("after" absent: with the page)', () => {
    const config = withRules([{ channel: 'slack' }, { channel: 'email', after: '5m', severities: ['P2'] }]);
    expect(config.contacts['primary-oncall'].notificationRules).toEqual([
      { channel: 'slack', afterMs: 0 },
      { channel: 'email', afterMs: 5 * MIN, severities: ['P2'] },
    ]);
    expect(
      withRules([{ channel: 'pagerduty', after: '0s' }]).contacts['primary-oncall'].notificationRules,
    ).toEqual([{ channel: 'pagerduty', afterMs: 0 }]);
  });

  test('refusals name the path', () => {
    expect(refusal(() => withRules([{ channel: 'sms' }]))).toMatchObject({
      key: 'contacts.primary-oncall.notificationRules.0.channel',
    });
    expect(refusal(() => withRules([{ channel: 'slack', after: 'soon' }]))).toMatchObject({
      key: 'contacts.primary-oncall.notificationRules.0.after',
      message: expect.stringContaining('expected a duration like "0s" or "5m"'),
    });
    expect(refusal(() => withRules([{ channel: 'email', after: '5m' }]))).toMatchObject({
      key: 'contacts.primary-oncall.notificationRules.0',
      message: expect.stringContaining('P1: no rule reaches this person at once'),
    });
    // Revision 8 ignores rules: a configuration that names them must say it runs 9.
    expect(refusal(() => withRules([{ channel: 'slack' }], { engine: { revision: 8 } }))).toMatchObject({
      key: 'contacts.primary-oncall.notificationRules',
      message: expect.stringContaining('notification rules need engine.revision 9'),
    });
    expect(
      refusal(() => withRules([{ channel: 'slack' }, { channel: 'email', after: '1m' }], { smtp: null })),
    ).toMatchObject({
      key: 'contacts.primary-oncall.notificationRules.1',
      message: expect.stringContaining('an e-mail rule needs "smtp" configured'),
    });
    const noAddress = () =>
      testConfig({
        engine: { revision: 9 },
        smtp: SMTP,
        contacts: { visitor: { name: 'Visitor', notificationRules: [{ channel: 'slack' }] } },
      });
    expect(refusal(noAddress)).toMatchObject({
      key: 'contacts.visitor.notificationRules.0',
      message: expect.stringContaining('a Slack rule needs "slackUserId"'),
    });
  });
});
