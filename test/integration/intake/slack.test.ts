/** POST /slack/interactions and /slack/commands: signed clicks and `/incident declare`, on the dev server. */
import { encodeButtonValue } from '../../../activities/slack-buttons';
import { statusQuery } from '../../../domain/messages';
import { testConfig, withoutIntakeLimits } from '../../../scripts/testbed/config';
import { startIntake } from '../../support/intake';
import { SLACK_SECRET, slackSigned, unique, webhookIntake } from '../../support/webhooks';
import { describeWith } from '../../../scripts/testbed/services';

describeWith(['temporal'], 'Slack routes on the dev server: buttons and declare', () => {
  // Only the tech lead approves checkout's runbook steps.
  // Hundreds of posts a second from this one process: the limits are the flood test's subject, not this one's.
  const config = withoutIntakeLimits(testConfig({ services: { checkout: { approvers: ['tech-lead'] } } }));
  const t = webhookIntake(config);

  test('Slack buttons: a signed click acknowledges as the Slack user id; bad or stale signatures get 401', async () => {
    const opened = await t.intake.post('/alerts', {
      service: 'checkout',
      summary: 'slack click',
      severity: 'P1',
      dedupKey: `slack-${unique()}`,
    });
    const workflowId = opened.data.incidents[0].workflowId;
    const handle = t.dev.client.workflow.getHandle(workflowId);
    const view = await handle.query(statusQuery);
    const click = (action: string, value: Parameters<typeof encodeButtonValue>[0], user = 'U0PRIMARY') =>
      `payload=${encodeURIComponent(
        JSON.stringify({
          type: 'block_actions',
          user: { id: user, username: 'carol' },
          actions: [{ action_id: action, value: encodeButtonValue(value) }],
        }),
      )}`;
    // A button must name its incident: one without (older messages) would act on whichever run is open.
    const unbound = click('incident_acknowledge', { workflowId });
    const refusedUnbound = await t.intake.post('/slack/interactions', unbound, slackSigned(unbound));
    expect(refusedUnbound.status).toBe(400);
    expect(refusedUnbound.data.error).toMatch(/^button value does not name its incident/);
    const body = click('incident_acknowledge', { workflowId, incidentId: view.incidentId });
    const bad = await t.intake.post('/slack/interactions', body, {
      ...slackSigned(body),
      'x-slack-signature': 'v0=deadbeef',
    });
    expect(bad.status).toBe(401);
    const stale = await t.intake.post(
      '/slack/interactions',
      body,
      slackSigned(body, Math.floor(Date.now() / 1000) - 301),
    );
    expect(stale.status).toBe(401);
    expect(stale.data.error).toMatch(/stale/);
    const tampered = await t.intake.post(
      '/slack/interactions',
      body.replace('carol', 'mallory'),
      slackSigned(body),
    );
    expect(tampered.status).toBe(401);
    expect((await handle.query(statusQuery)).status).toBe('triggered');
    // A button from an earlier incident of the same alert group is refused with the reason.
    const oldPayload = JSON.stringify({
      type: 'block_actions',
      user: { id: 'U0PRIMARY', username: 'carol' },
      actions: [
        {
          action_id: 'incident_resolve',
          value: encodeButtonValue({ workflowId, incidentId: `${workflowId}-0000dead` }),
        },
      ],
    });
    const oldBody = `payload=${encodeURIComponent(oldPayload)}`;
    const old = await t.intake.post('/slack/interactions', oldBody, slackSigned(oldBody));
    expect(old.status).toBe(200);
    expect(old.data.text).toBe(
      `Not done: that was for incident ${workflowId}-0000dead, which is closed; the open incident for this alert group is ${view.incidentId}.`,
    );
    expect((await handle.query(statusQuery)).status).toBe('triggered');

    const ok = await t.intake.post('/slack/interactions', body, slackSigned(body));
    expect(ok.status).toBe(200);
    // Applied, not merely sent; attributed to the contact whose Slack member id clicked.
    expect(ok.data.text).toBe(`${workflowId}: acknowledged by Primary on-call (slack:U0PRIMARY)`);
    expect(await handle.query(statusQuery)).toMatchObject({
      status: 'acknowledged',
      acknowledgedBy: 'Primary on-call (slack:U0PRIMARY)',
    });
    // An Approve click carries its step; with nothing proposed it is refused, and carol is told why.
    const approve = JSON.stringify({
      type: 'block_actions',
      user: { id: 'U0PRIMARY', username: 'carol' },
      actions: [
        {
          action_id: 'incident_approve',
          value: encodeButtonValue({ workflowId, incidentId: view.incidentId, step: 'raise-pool-size' }),
        },
      ],
    });
    const approveBody = `payload=${encodeURIComponent(approve)}`;
    // carol is on call but not one of checkout's approvers: refused before the incident hears of it.
    const notApprover = await t.intake.post('/slack/interactions', approveBody, slackSigned(approveBody));
    expect(notApprover.status).toBe(200);
    expect(notApprover.data.text).toBe(
      'Not done: Primary on-call (slack:U0PRIMARY) may not approve step "raise-pool-size" of checkout: its approvers are Tech lead.',
    );
    // The tech lead may: the incident answers (nothing is proposed yet).
    const techLead = approveBody.replace('U0PRIMARY', 'U0TECHLEAD');
    const refused = await t.intake.post('/slack/interactions', techLead, slackSigned(techLead));
    expect(refused.status).toBe(200);
    expect(refused.data.text).toBe('Not done: no step "raise-pool-size" is waiting for approval.');
    // Someone in the workspace who is no contact cannot even resolve.
    const stranger = body
      .replace('U0PRIMARY', 'U0STRANGER')
      .replace('incident_acknowledge', 'incident_resolve');
    const notContact = await t.intake.post('/slack/interactions', stranger, slackSigned(stranger));
    expect(notContact.data.text).toBe(
      'Not done: slack:U0STRANGER (carol) is not a configured contact: add their slackUserId to a contact, or "slack:U0STRANGER" to access.allow.',
    );
    expect((await handle.query(statusQuery)).status).toBe('acknowledged');
    await handle.terminate();
  });

  test('Slack /incident declare: a contact opens an incident, attributed; a stranger and bad text are told why', async () => {
    const form = (text: string, userId = 'U0SECONDARY') =>
      new URLSearchParams({ command: '/incident', text, user_id: userId, user_name: 'sam' }).toString();
    const post = (body: string) => t.intake.post('/slack/commands', body, slackSigned(body));
    const declaring = form('declare checkout P2 checkout is slow for EU customers');
    const signed = slackSigned(declaring);
    const ok = await t.intake.post('/slack/commands', declaring, signed);
    expect(ok.status).toBe(200);
    expect(ok.data.response_type).toBe('in_channel');
    const workflowId = /declared (incident-[0-9a-f]{20}): P2 checkout/.exec(ok.data.text)?.[1];
    expect(ok.data.text).toMatch(/^Secondary on-call \(slack:U0SECONDARY\) declared incident-/);
    const handle = t.dev.client.workflow.getHandle(workflowId!);
    const view = await handle.query(statusQuery);
    expect(view.timeline[0]).toMatchObject({
      type: 'opened',
      actor: 'Secondary on-call (slack:U0SECONDARY)',
      message: 'incident declared: checkout is slow for EU customers (P2, checkout, health)',
    });
    // The same signed request again (a replay within Slack's 5 minutes) declares nothing more: this replica
    // remembers it, and another replica finds the incident it declared by the request's signature.
    const replayed = await t.intake.post('/slack/commands', declaring, signed);
    expect(replayed.data).toEqual({ response_type: 'ephemeral', text: 'This request was already handled.' });
    const replica = await startIntake({
      client: t.dev.client,
      config,
      taskQueue: t.dev.taskQueue,
      env: { SLACK_SIGNING_SECRET: SLACK_SECRET },
    });
    try {
      const elsewhere = await replica.post('/slack/commands', declaring, signed);
      expect(elsewhere.data).toEqual({
        response_type: 'ephemeral',
        text: 'This request was already handled.',
      });
    } finally {
      await replica.close();
    }
    // Still the one run it declared, open, with one declaration on its timeline.
    const after = await handle.query(statusQuery);
    expect(after.incidentId).toBe(view.incidentId);
    expect(after.timeline.filter((e) => e.type === 'opened')).toHaveLength(1);
    const stranger = await post(form('declare checkout P1 x', 'U0STRANGER'));
    expect(stranger.data.text).toMatch(/^Not done: slack:U0STRANGER \(sam\) is not a configured contact/);
    for (const [text, reply] of [
      // Escaped for Slack, which shows &lt; as <.
      ['help', 'usage: declare &lt;service&gt; &lt;P1|P2|P3&gt; &lt;summary&gt;'],
      ['declare <!channel> P1 x', 'service: letters, digits and . _ : / - only. usage:'],
      ['declare checkout P7 x', 'severity: expected P1, P2 or P3.'],
    ]) {
      const res = await post(form(text));
      expect([text, res.status, res.data.response_type]).toEqual([text, 200, 'ephemeral']);
      expect(res.data.text.startsWith(reply)).toBe(true);
    }
    const unsigned = form('declare checkout P1 forged');
    expect(
      (
        await t.intake.post('/slack/commands', unsigned, {
          'content-type': 'application/x-www-form-urlencoded',
        })
      ).status,
    ).toBe(401);
    await handle.terminate();
  });
});

describeWith(['temporal'], 'Slack routes with the workspace and app configured', () => {
  const config = withoutIntakeLimits(testConfig({ slack: { teamId: 'T0OURS', appId: 'A0OURS' } }));
  const t = webhookIntake(config);

  test('a signed command or click from another workspace or app is refused (403) naming the field; ours is taken', async () => {
    const form = (team: string, app: string) =>
      new URLSearchParams({
        command: '/incident',
        text: 'help',
        user_id: 'U0SECONDARY',
        team_id: team,
        api_app_id: app,
      }).toString();
    const command = (body: string) => t.intake.post('/slack/commands', body, slackSigned(body));
    const otherTeam = await command(form('T0THEIRS', 'A0OURS'));
    expect([otherTeam.status, otherTeam.data]).toEqual([
      403,
      { field: 'team_id', error: 'team_id: not the configured Slack workspace (slack.teamId)' },
    ]);
    const otherApp = await command(form('T0OURS', 'A0THEIRS'));
    expect([otherApp.status, otherApp.data.field]).toEqual([403, 'api_app_id']);
    const ours = await command(form('T0OURS', 'A0OURS'));
    expect([ours.status, ours.data.response_type]).toEqual([200, 'ephemeral']);

    const click = (team: string) => {
      const payload = JSON.stringify({
        type: 'block_actions',
        team: { id: team },
        api_app_id: 'A0OURS',
        user: { id: 'U0PRIMARY' },
        actions: [
          {
            action_id: 'incident_acknowledge',
            value: encodeButtonValue({ workflowId: 'incident-none', incidentId: 'incident-none-0' }),
          },
        ],
      });
      const body = `payload=${encodeURIComponent(payload)}`;
      return t.intake.post('/slack/interactions', body, slackSigned(body));
    };
    const foreign = await click('T0THEIRS');
    expect([foreign.status, foreign.data.field]).toEqual([403, 'payload.team_id']);
    // Ours reaches the incident (none by that id here: closed, as the click is told).
    const own = await click('T0OURS');
    expect([own.status, own.data.text]).toEqual([200, 'That incident is already closed.']);
  });
});
