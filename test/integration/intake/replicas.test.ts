/**
 * Two intake replicas on one store: a signed Slack click or PagerDuty event replayed to the other replica
 * acts once (finding 6 of #28). Without the store's memory the second replica would send the click again
 * and answer "Not done: already acknowledged"; with it, it answers "already handled" without asking the
 * incident. The replicas connect as docs/deploy.md has the operator set up: a role that may use
 * `request_claims` and nothing else, on a store the API migrated. Also: an Approve button answers its own
 * proposal, never a newer one of the same step.
 */
import { createHmac } from 'node:crypto';
import { approvalButtons, encodeButtonValue } from '../../../activities/slack-buttons';
import { runbookReportSignal, statusQuery } from '../../../domain/messages';
import { sharedRequestMemory } from '../../../intake/request-memory';
import { connectStore, openStore, type StoreLocation } from '../../../store';
import { testConfig, withoutIntakeLimits } from '../../../scripts/testbed/config';
import { describeWith } from '../../../scripts/testbed/services';
import { startDevWorker, type DevWorker } from '../../support/dev-server';
import { freshPostgres } from '../../support/fresh-postgres';
import { startIntake, type RunningIntake } from '../../support/intake';
import { PD_SECRET, SLACK_SECRET, slackSigned, TOKEN, unique } from '../../support/webhooks';
import { eventually } from '../../../scripts/testbed/eventually';
import { createLogger } from '../../../config/logger';

/** The store's URL as the intakes' role. */
function intakeUrl(admin: StoreLocation, role: string): StoreLocation {
  const url = new URL((admin as { databaseUrl: string }).databaseUrl);
  url.username = role;
  url.password = 'intake-pw';
  return { databaseUrl: url.toString() };
}

describeWith(['temporal', 'postgres'], 'intake replicas sharing a store', () => {
  const config = withoutIntakeLimits(testConfig({ services: { checkout: { approvers: ['tech-lead'] } } }));
  const env = { SLACK_SIGNING_SECRET: SLACK_SECRET, PAGERDUTY_WEBHOOK_SECRET: PD_SECRET };
  let dev: DevWorker;
  let location: StoreLocation;
  let a: RunningIntake;
  let b: RunningIntake;
  const replica = (where: StoreLocation) =>
    startIntake({
      client: dev.client,
      config,
      taskQueue: dev.taskQueue,
      token: TOKEN,
      env,
      requests: sharedRequestMemory(() => connectStore(where), { now: Date.now }),
    });
  beforeAll(async () => {
    dev = await startDevWorker(config);
    const admin = await freshPostgres('replicas');
    // Migrated by the store's holder; the intakes' role gets the one table (docs/deploy.md).
    const db = await openStore(admin);
    const role = `intake_${Date.now()}_${Math.random().toString(16).slice(2, 8)}`;
    try {
      await db.exec(
        `CREATE ROLE ${role} LOGIN PASSWORD 'intake-pw'; GRANT SELECT, INSERT, UPDATE, DELETE ON request_claims TO ${role}`,
      );
      const denied = await connectStore(intakeUrl(admin, role));
      await expect(denied.query('SELECT count(*) FROM incidents')).rejects.toThrow(/permission denied/);
      await denied.close();
    } finally {
      await db.close();
    }
    location = intakeUrl(admin, role);
    [a, b] = [await replica(location), await replica(location)];
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await dev?.close();
  });

  const open = async (summary: string) => {
    const opened = await a.post('/alerts', {
      service: 'checkout',
      summary,
      severity: 'P1',
      dedupKey: `replicas-${unique()}`,
    });
    const handle = dev.client.workflow.getHandle(opened.data.incidents[0].workflowId);
    return { handle, view: await handle.query(statusQuery) };
  };
  const clickBody = (user: string, action: string, value: string) =>
    `payload=${encodeURIComponent(
      JSON.stringify({ type: 'block_actions', user: { id: user }, actions: [{ action_id: action, value }] }),
    )}`;

  test('a Slack click replayed to the other replica is answered as already handled, and acts once', async () => {
    const { handle, view } = await open('replayed click');
    const body = clickBody(
      'U0PRIMARY',
      'incident_acknowledge',
      encodeButtonValue({ workflowId: view.workflowId, incidentId: view.incidentId }),
    );
    const signed = slackSigned(body);
    const first = await a.post('/slack/interactions', body, signed);
    expect(first.data.text).toBe(`${view.workflowId}: acknowledged by Primary on-call (slack:U0PRIMARY)`);
    for (const replica of [b, a]) {
      const replay = await replica.post('/slack/interactions', body, signed);
      expect([replay.status, replay.data.text]).toEqual([200, 'This request was already handled.']);
    }
    const acks = (await handle.query(statusQuery)).timeline.filter((e) => e.type === 'acknowledged');
    expect(acks).toHaveLength(1);
    await handle.terminate();
  });

  test('a PagerDuty event delivered to both replicas is applied once', async () => {
    const { handle, view } = await open('replayed event');
    await eventually(async () => expect((await handle.query(statusQuery)).paged.length).toBeGreaterThan(0));
    const event = JSON.stringify({
      event: {
        id: `E-${unique()}`,
        event_type: 'incident.acknowledged',
        occurred_at: new Date().toISOString(),
        agent: { id: 'P0PRIMARY', summary: 'Dana' },
        data: { incident_key: `${view.incidentId}/page-1` },
      },
    });
    const signature = `v1=${createHmac('sha256', PD_SECRET).update(event).digest('hex')}`;
    const headers = { 'x-pagerduty-signature': signature };
    const applied = await a.post('/pagerduty/webhooks', event, headers);
    expect(applied.data).toMatchObject({
      signalled: 'acknowledge',
      workflowId: view.workflowId,
      result: 'acknowledged by Primary on-call (pagerduty:P0PRIMARY)',
    });
    const again = await b.post('/pagerduty/webhooks', event, headers);
    expect([again.status, again.data.ignored]).toEqual([
      202,
      expect.stringMatching(/^event E-.* was already applied$/),
    ]);
    expect((await handle.query(statusQuery)).timeline.filter((e) => e.type === 'acknowledged')).toHaveLength(
      1,
    );
    await handle.terminate();
  });

  test('an Approve button of an earlier proposal of the step is refused; the newest one is taken', async () => {
    const { handle, view } = await open('proposed twice');
    const propose = (message: string) =>
      handle.signal(runbookReportSignal, { kind: 'proposal', step: 'rollback', message });
    await propose('roll back to v1');
    const first = await eventually(async () => {
      const pending = (await handle.query(statusQuery)).pendingApprovals;
      expect(pending).toHaveLength(1);
      return pending[0].requestedAt;
    });
    await new Promise((r) => setTimeout(r, 20)); // a new workflow time for the second proposal
    await propose('roll back to v0: v1 is broken too');
    const second = await eventually(async () => {
      const [pending] = (await handle.query(statusQuery)).pendingApprovals;
      expect(pending.requestedAt).not.toBe(first);
      return pending.requestedAt;
    });
    // The buttons the Slack activity posts for each proposal.
    const approveOf = (proposal: string) =>
      approvalButtons(view.workflowId, view.incidentId, 'rollback', proposal)[0].value;
    const post = (body: string) => b.post('/slack/interactions', body, slackSigned(body));
    const stale = await post(clickBody('U0TECHLEAD', 'incident_approve', approveOf(first)));
    expect(stale.data.text).toBe(
      `Not done: that button answered an earlier request for "rollback" (${first}); it was proposed again at ${second}: answer the newest request.`,
    );
    expect((await handle.query(statusQuery)).pendingApprovals).toHaveLength(1);
    const newest = await post(clickBody('U0TECHLEAD', 'incident_approve', approveOf(second)));
    expect(newest.data.text).toBe(`${view.workflowId}: approval of "rollback" passed to the runbook`);
    await handle.terminate();
  });

  test('a replica whose store does not answer still acts, remembers what it handled itself, and says so', async () => {
    const warned: { msg?: string }[] = [];
    const logger = createLogger({
      name: 'intake',
      env: { LOG_LEVEL: 'info', LOG_FORMAT: 'json' },
      destination: { write: (line: string) => void warned.push(JSON.parse(line) as { msg?: string }) },
    });
    const down = await startIntake({
      client: dev.client,
      config,
      taskQueue: dev.taskQueue,
      token: TOKEN,
      env,
      requests: sharedRequestMemory(
        () => connectStore({ databaseUrl: 'postgres://nobody@127.0.0.1:1/none' }),
        {
          now: Date.now,
          logger,
        },
      ),
    });
    try {
      const { handle, view } = await open('store down');
      const body = clickBody(
        'U0PRIMARY',
        'incident_acknowledge',
        encodeButtonValue({ workflowId: view.workflowId, incidentId: view.incidentId }),
      );
      const signed = slackSigned(body);
      const first = await down.post('/slack/interactions', body, signed);
      expect(first.data.text).toMatch(/acknowledged by Primary on-call/);
      const replay = await down.post('/slack/interactions', body, signed);
      expect(replay.data.text).toBe('This request was already handled.');
      expect(warned.map((l) => l.msg)).toContain(
        'the store did not answer: this replica alone decides whether a signed request is a replay',
      );
      await handle.terminate();
    } finally {
      await down.close();
    }
  });
});
