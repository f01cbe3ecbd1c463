/** POST /pagerduty/webhooks: signed v3 events acknowledge and resolve, once, on the dev server. */
import { createHmac } from 'node:crypto';
import { openOrSignalIncident } from '../../../intake/open-incident';
import { statusQuery } from '../../../domain/messages';
import { testConfig, withoutIntakeLimits } from '../../../scripts/testbed/config';
import { eventually } from '../../../scripts/testbed/eventually';
import { PD_SECRET, unique, webhookIntake } from '../../support/webhooks';
import { describeWith } from '../../../scripts/testbed/services';

describeWith(['temporal'], 'PagerDuty webhooks on the dev server', () => {
  // Only the tech lead approves checkout's runbook steps.
  // Hundreds of posts a second from this one process: the limits are the flood test's subject, not this one's.
  const config = withoutIntakeLimits(testConfig({ services: { checkout: { approvers: ['tech-lead'] } } }));
  const t = webhookIntake(config);

  test('PagerDuty v3 webhooks: incident.acknowledged for our dedup key acknowledges; unsigned gets 401', async () => {
    const alertBody = {
      service: 'checkout',
      summary: 'pd ack',
      severity: 'P1' as const,
      dedupKey: `pd-${unique()}`,
    };
    const opened = await t.intake.post('/alerts', alertBody);
    const handle = t.dev.client.workflow.getHandle(opened.data.incidents[0].workflowId);
    const view = await eventually(async () => {
      const v = await handle.query(statusQuery);
      expect(v.paged[0]?.dedupKey).toBe(`${v.incidentId}/page-1`);
      return v;
    });
    const body = JSON.stringify({
      event: {
        id: `E1-${unique()}`,
        occurred_at: new Date().toISOString(),
        event_type: 'incident.acknowledged',
        resource_type: 'incident',
        agent: { id: 'P0PRIMARY', summary: 'Dana' },
        data: { id: 'Q1', type: 'incident', incident_key: view.paged[0].dedupKey, status: 'acknowledged' },
      },
    });
    const sign = (b: string) => `v1=${createHmac('sha256', PD_SECRET).update(b).digest('hex')}`;
    expect(
      (await t.intake.post('/pagerduty/webhooks', body, { 'x-pagerduty-signature': 'v1=00' })).status,
    ).toBe(401);
    const res = await t.intake.post('/pagerduty/webhooks', body, {
      'x-pagerduty-signature': `v1=old, ${sign(body)}`,
    });
    expect(res.status).toBe(202);
    await eventually(async () =>
      expect(await handle.query(statusQuery)).toMatchObject({
        status: 'acknowledged',
        acknowledgedBy: 'Primary on-call (pagerduty:P0PRIMARY)',
      }),
    );
    // The same signed request again (captured and replayed, or PagerDuty's own retry): applied once.
    const replayed = await t.intake.post('/pagerduty/webhooks', body, {
      'x-pagerduty-signature': sign(body),
    });
    expect(replayed.status).toBe(202);
    expect(replayed.data.ignored).toMatch(/^event E1-.* was already applied$/);
    // An old event, validly signed: its signature has no timestamp, so occurred_at decides.
    const old = JSON.stringify({
      event: {
        id: `E0-${unique()}`,
        occurred_at: new Date(Date.now() - 3600_000).toISOString(),
        event_type: 'incident.resolved',
        data: { incident_key: view.paged[0].dedupKey },
      },
    });
    const stale = await t.intake.post('/pagerduty/webhooks', old, { 'x-pagerduty-signature': sign(old) });
    expect(stale.status).toBe(202);
    expect(stale.data.refused).toMatch(/^event\.occurred_at: .* is older than 600 s \(stale or replayed\)$/);
    // Dated in the future, it would outlive the window of ids remembered against replays: refused too.
    const ahead = old
      .replace(/"id":"E0-/, '"id":"E9-')
      .replace(/"occurred_at":"[^"]+"/, `"occurred_at":"${new Date(Date.now() + 3600_000).toISOString()}"`);
    const future = await t.intake.post('/pagerduty/webhooks', ahead, {
      'x-pagerduty-signature': sign(ahead),
    });
    expect(future.status).toBe(202);
    expect(future.data.refused).toMatch(/^event\.occurred_at: .* is in the future \(more than 60 s ahead\)$/);
    expect((await handle.query(statusQuery)).status).toBe('acknowledged');
    // A PagerDuty user who is no contact: refused, and the incident is unchanged.
    const outsider = JSON.stringify({
      event: {
        id: `E4-${unique()}`,
        occurred_at: new Date().toISOString(),
        event_type: 'incident.resolved',
        agent: { id: 'P0NOBODY', summary: 'Eve' },
        data: { incident_key: view.paged[0].dedupKey },
      },
    });
    const notContact = await t.intake.post('/pagerduty/webhooks', outsider, {
      'x-pagerduty-signature': sign(outsider),
    });
    expect(notContact.data.refused).toMatch(/^pagerduty:P0NOBODY \(Eve\) is not a configured contact/);
    expect((await handle.query(statusQuery)).status).toBe('acknowledged');
    const foreign = JSON.stringify({
      event: {
        id: `E2-${unique()}`,
        occurred_at: new Date().toISOString(),
        event_type: 'incident.resolved',
        data: { incident_key: 'someone-else-123' },
      },
    });
    expect(
      (await t.intake.post('/pagerduty/webhooks', foreign, { 'x-pagerduty-signature': sign(foreign) })).data
        .ignored,
    ).toMatch(/not one of our incidents/);
    await handle.terminate();

    // The same alert group opens a new incident (same workflow, new run): the old incident's PagerDuty
    // alert, resolved late, must not close the new one.
    // (Opened straight through Temporal: the intake would absorb the same post for its resend window.)
    const again = await openOrSignalIncident(
      t.dev.client,
      { ...alertBody, scenario: 'health', severity: 'P1', security: false },
      { taskQueue: t.dev.taskQueue },
    );
    expect(again).toMatchObject({ workflowId: handle.workflowId, deduplicated: false });
    const current = await eventually(async () => {
      const v = await handle.query(statusQuery);
      expect(v.paged[0]?.delivered).toBe(true);
      return v;
    });
    expect(current.incidentId).not.toBe(view.incidentId);
    const late = JSON.stringify({
      event: {
        id: `E3-${unique()}`,
        occurred_at: new Date().toISOString(),
        event_type: 'incident.resolved',
        agent: { id: 'P0PRIMARY', summary: 'Dana' },
        data: { incident_key: view.paged[0].dedupKey },
      },
    });
    const earlier = await t.intake.post('/pagerduty/webhooks', late, { 'x-pagerduty-signature': sign(late) });
    expect(earlier.status).toBe(202);
    expect(earlier.data.refused).toContain(`that was for incident ${view.incidentId}, which is closed`);
    expect((await handle.query(statusQuery)).status).toBe('triggered');
    await handle.terminate();
  });
});
