/** What Slack clicks and PagerDuty events become: bound to the incident (run) and the proposal they were about. */
import { encodeButtonValue } from '../../../activities/slack-buttons';
import { pagerDutyEventToSignal, slackClickToSignal } from '../../../intake/responders';

const WF = 'incident-0123456789abcdef0123';
const click = (action: string, value: unknown) => ({
  type: 'block_actions',
  user: { id: 'U0PRIMARY', username: 'carol' },
  actions: [{ action_id: action, value: typeof value === 'string' ? value : JSON.stringify(value) }],
});

describe('Slack buttons', () => {
  test('a button names its incident and, for an approval, the proposal: both reach the command', () => {
    const value = encodeButtonValue({
      workflowId: WF,
      incidentId: `${WF}-abcdef01`,
      step: 'rollback',
      proposal: '2026-12-06T10:00:00.000Z',
    });
    expect(slackClickToSignal(click('incident_approve', value))).toEqual({
      workflowId: WF,
      signal: 'approve',
      who: { channel: 'slack', userId: 'U0PRIMARY', name: 'carol' },
      args: { step: 'rollback', incident: `${WF}-abcdef01`, proposal: '2026-12-06T10:00:00.000Z' },
    });
    expect(
      slackClickToSignal(click('incident_acknowledge', { workflowId: WF, incidentId: `${WF}-abcdef01` })),
    ).toMatchObject({ signal: 'acknowledge', args: { incident: `${WF}-abcdef01` } });
  });

  test('a button without its incident, or with a proposal that is not text, is refused', () => {
    expect(slackClickToSignal(click('incident_resolve', { workflowId: WF }))).toBe(
      "button value does not name its incident (a message from an older release): use the incident's newest message, or the CLI",
    );
    expect(
      slackClickToSignal(
        click('incident_approve', { workflowId: WF, incidentId: `${WF}-abcdef01`, step: 's', proposal: 7 }),
      ),
    ).toBe('button value does not name an incident');
  });
});

describe('PagerDuty incident keys', () => {
  const event = (key: string, type = 'incident.acknowledged') => ({
    event: {
      id: 'E1',
      event_type: type,
      agent: { id: 'PAGENT', summary: 'Alice' },
      data: { incident_key: key },
    },
  });

  test('a key with its run names the incident, with or without the page suffix', () => {
    for (const key of [`${WF}-abcdef01`, `${WF}-abcdef01/page-3`])
      expect(pagerDutyEventToSignal(event(key))).toEqual({
        workflowId: WF,
        signal: 'acknowledge',
        who: { channel: 'pagerduty', userId: 'PAGENT', name: 'Alice' },
        args: { incident: `${WF}-abcdef01` },
      });
    expect(pagerDutyEventToSignal(event(`${WF}-abcdef01/page-1`, 'incident.resolved'))).toMatchObject({
      signal: 'resolve',
      args: { incident: `${WF}-abcdef01`, summary: 'resolved in PagerDuty' },
    });
  });

  test('a key without its run would act on whichever run is open: refused, and said why', () => {
    for (const key of [WF, `${WF}/page-2`])
      expect(pagerDutyEventToSignal(event(key))).toBe(
        "incident_key does not name the incident's run (a page from an older release): acknowledge it in Slack or the CLI",
      );
    expect(pagerDutyEventToSignal(event('someone-else-123'))).toBe(
      'not one of our incidents (incident_key is not a Durable Runbooks id)',
    );
  });
});
