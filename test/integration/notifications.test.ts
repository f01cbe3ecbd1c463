import type { WorkflowHandle } from '@temporalio/client';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { Journal } from '../../activities/journal';
import { createPagingActivities } from '../../activities/paging';
import type { DeliveryResult } from '../../activities/contract';
import { createSlackActivities } from '../../activities/slack';
import { incidentWorkflow } from '../../workflows/incident';
import { acknowledgeSignal, escalateSignal, resolveSignal, statusQuery } from '../../domain/messages';
import type { IncidentInput, IncidentStatusView } from '../../domain/types';
import { testConfig } from '../../scripts/testbed/config';
import { startDevWorker, type DevWorker } from '../support/dev-server';
import { eventually } from '../../scripts/testbed/eventually';
import { FakeJsonSink, FakePagerDuty, FakeSlack } from '../support/fake-saas';
import { EventType, waitForEvent, completedActivities } from '../../scripts/testbed/history';
import { describeWith } from '../../scripts/testbed/services';

const SECRETS = {
  SLACK_BOT_TOKEN: 'xoxb-test-0000-secret-slack-token',
  PD_ROUTING_KEY_PRIMARY: 'R0PRIMARYROUTINGKEY0000000000001',
  PD_ROUTING_KEY_SECONDARY: 'R0SECONDARYROUTINGKEY00000000002',
  PD_ROUTING_KEY_TECH_LEAD: 'R0TECHLEADROUTINGKEY000000000003',
  PD_ROUTING_KEY_MANAGER: 'R0MANAGERROUTINGKEY0000000000004',
  TICKETS_TOKEN: 'tk-secret-ticket-token',
  STATUSPAGE_TOKEN: 'sp-secret-status-token',
};

describeWith(
  ['temporal'],
  'Slack, PagerDuty, tickets and status page against their published contracts',
  () => {
    let dev: DevWorker;
    const slack = new FakeSlack(SECRETS.SLACK_BOT_TOKEN);
    const pd = new FakePagerDuty();
    const tickets = new FakeJsonSink();
    const statusPage = new FakeJsonSink();
    const handles: WorkflowHandle[] = [];

    beforeAll(async () => {
      await Promise.all([slack.start(), pd.start(), tickets.start(), statusPage.start()]);
      const config = testConfig({
        slack: { apiUrl: slack.apiUrl },
        pagerduty: { eventsUrl: pd.eventsUrl },
        tickets: {
          url: `${tickets.url}/api/tickets`,
          tokenEnv: 'TICKETS_TOKEN',
          extraFields: { project: 'OPS' },
        },
        statusPage: { url: `${statusPage.url}/api/incidents`, tokenEnv: 'STATUSPAGE_TOKEN' },
        services: { storefront: { customerFacing: true } },
      });
      dev = await startDevWorker(config, SECRETS);
    });
    afterEach(() => {
      slack.failures.length = 0;
      pd.failures.length = 0;
      pd.invalidKeys.clear();
    });
    afterAll(async () => {
      for (const h of handles) await h.terminate('suite finished').catch(() => undefined);
      await dev?.close();
      await Promise.all([slack.stop(), pd.stop(), tickets.stop(), statusPage.stop()]);
    });

    let seq = 0;
    async function open(partial: Partial<IncidentInput>) {
      seq += 1;
      const input: IncidentInput = {
        dedupKey: `n-${seq}`,
        service: 'storefront',
        scenario: 'health',
        severity: 'P1',
        summary: `storefront down ${seq}`,
        security: false,
        ...partial,
      };
      const handle = await dev.client.workflow.start(incidentWorkflow, {
        taskQueue: dev.taskQueue,
        workflowId: `notify-${seq}-${Date.now()}`,
        args: [input],
      });
      handles.push(handle);
      return handle;
    }
    /** PagerDuty events of one incident: its pages use `<incident id>/page-N` as dedup keys. */
    const ofIncident = (e: Record<string, unknown>, view: { incidentId: string }) =>
      String(e.dedup_key).startsWith(`${view.incidentId}/page-`);
    const ROUTING_KEY_BY_LEVEL = [
      SECRETS.PD_ROUTING_KEY_PRIMARY,
      SECRETS.PD_ROUTING_KEY_SECONDARY,
      SECRETS.PD_ROUTING_KEY_TECH_LEAD,
      SECRETS.PD_ROUTING_KEY_MANAGER,
    ];
    const routingKeyOf = (view: IncidentStatusView, dedupKey: string) =>
      ROUTING_KEY_BY_LEVEL[view.paged.find((p) => p.dedupKey === dedupKey)!.level];
    const messagesFor = (summary: string) => slack.messages().filter((m) => String(m.text).includes(summary));

    test('a P1 announces in Slack with buttons, pages through PagerDuty, updates the status page; ack reaches both', async () => {
      const handle = await open({});
      const view = await eventually(async () => {
        const v = await handle.query(statusQuery);
        expect(v.paged.find((p) => p.level === 0)?.delivered).toBe(true);
        return v;
      });
      // The page goes first; the announcement follows in the Slack lane.
      const announcement = await eventually(() => {
        const found = slack.messages().find((m) => String(m.text).includes(view.incidentId) && m.blocks);
        expect(found).toBeDefined();
        return found;
      });
      expect(announcement!.channel).toBe('#incidents');
      expect(announcement!.text).toEqual(expect.stringContaining('[P1]'));
      expect(announcement!.text).toEqual(expect.stringContaining(view.summary));
      const blocks = JSON.parse(String(announcement!.blocks));
      expect(blocks[1].elements.map((e: { action_id: string }) => e.action_id)).toEqual([
        'incident_acknowledge',
        'incident_resolve',
      ]);

      const trigger = pd
        .events()
        .find((e) => e.dedup_key === `${view.incidentId}/page-1` && e.event_action === 'trigger');
      expect(trigger).toMatchObject({
        routing_key: SECRETS.PD_ROUTING_KEY_PRIMARY,
        payload: { severity: 'critical', source: 'storefront', summary: `[P1] storefront: ${view.summary}` },
      });
      const posted = statusPage.requests.find((r) => r.body.incidentId === view.incidentId);
      expect(posted?.headers.authorization).toBe(`Bearer ${SECRETS.STATUSPAGE_TOKEN}`);
      // Neutral words (publicStatus.firstMessage): the alert's summary is for responders, not customers.
      expect(posted?.body).toMatchObject({
        state: 'investigating',
        service: 'storefront',
        message: 'We are investigating an issue affecting storefront. Next update within 30 minutes.',
      });
      expect(JSON.stringify(posted?.body)).not.toContain(view.summary);

      await handle.signal(acknowledgeSignal, { by: 'alice' });
      await eventually(() =>
        expect(pd.events().some((e) => ofIncident(e, view) && e.event_action === 'acknowledge')).toBe(true),
      );
      const ack = pd.events().find((e) => ofIncident(e, view) && e.event_action === 'acknowledge');
      expect(ack).toEqual({
        routing_key: SECRETS.PD_ROUTING_KEY_PRIMARY,
        event_action: 'acknowledge',
        dedup_key: `${view.incidentId}/page-1`,
      });
      await eventually(() => {
        const reply = slack.messages().find((m) => String(m.text).includes('acknowledged at') && m.thread_ts);
        expect(reply?.thread_ts).toMatch(/^1700000000\.\d{6}$/);
      });
    });

    test('each page, including the repeat round, opens a new PagerDuty alert; ack and resolve reach every one', async () => {
      const handle = await open({ summary: 'rounds' });
      const primaryBefore = pd.notifications(SECRETS.PD_ROUTING_KEY_PRIMARY);
      // A page is listed as soon as it is sent and marked delivered when PagerDuty has answered.
      const ladderPages = async () =>
        (await handle.query(statusQuery)).paged.filter((p) => p.level >= 0 && p.delivered);
      await eventually(async () => expect(await ladderPages()).toHaveLength(1));
      // Four escalations walk the ladder (secondary, tech lead, manager) into the repeat round (primary).
      for (let level = 1; level <= 4; level++) {
        await handle.signal(escalateSignal, { by: 'alice', reason: `step ${level}` });
        await eventually(async () => expect(await ladderPages()).toHaveLength(level + 1));
      }
      const view = await handle.query(statusQuery);
      const pages = await ladderPages();
      const keys = pages.map((p) => p.dedupKey);
      expect(new Set(keys).size).toBe(5);
      for (const key of keys) expect(key).toMatch(new RegExp(`^${view.incidentId}/page-\\d+$`));
      expect(pages.map((p) => p.levelName)).toEqual([
        'primary on-call',
        'secondary on-call',
        'tech lead',
        'DevOps manager',
        'primary on-call',
      ]);
      // The primary was notified twice: the repeat round is a new alert, not folded into the first.
      expect(pd.notifications(SECRETS.PD_ROUTING_KEY_PRIMARY) - primaryBefore).toBe(2);

      await handle.signal(acknowledgeSignal, { by: 'bob' });
      await eventually(() =>
        expect(keys.map((k) => pd.alerts.get(`${routingKeyOf(view, k!)} ${k}`)?.status)).toEqual(
          Array(5).fill('acknowledged'),
        ),
      );
      await handle.signal(resolveSignal, { by: 'bob', summary: 'fixed' });
      await eventually(() =>
        expect(keys.map((k) => pd.alerts.get(`${routingKeyOf(view, k!)} ${k}`)?.status)).toEqual(
          Array(5).fill('resolved'),
        ),
      );
      // Closed, so none of its Slack posts can meet the failures queued by the next test.
      expect(await handle.result()).toMatchObject({ status: 'resolved' });
    });

    test('Slack answering 429 with Retry-After and then 500 is retried, and the incident carries on', async () => {
      slack.failures.push(
        { status: 429, retryAfter: 2, body: { ok: false, error: 'ratelimited' } },
        { status: 500 },
      );
      const before = slack.requests.length;
      const handle = await open({ severity: 'P2', summary: 'slow checkout 429' });
      // Recorded requests include the refused ones: 429, 500, then the accepted announcement.
      await eventually(
        () => expect(messagesFor('slow checkout 429').length).toBeGreaterThanOrEqual(3),
        30_000,
      );
      const attempts = slack.requests.slice(before);
      expect(attempts[1].at - attempts[0].at).toBeGreaterThanOrEqual(1900); // honoured Retry-After: 2
      const view = await eventually(async () => {
        const v = await handle.query(statusQuery);
        expect(v.paged.find((p) => p.level === 0)).toMatchObject({ channel: 'slack', delivered: true });
        return v;
      });
      expect(view.timeline.filter((e) => e.type === 'error')).toEqual([]);
    });

    test('a 400 from PagerDuty is recorded, not retried, and escalation goes on; a 503 is retried', async () => {
      pd.invalidKeys.add(SECRETS.PD_ROUTING_KEY_PRIMARY);
      const handle = await open({ summary: 'bad routing key' });
      // `delivered` is false while the page is in flight too: wait for the answer in the timeline.
      const view = await eventually(async () => {
        const v = await handle.query(statusQuery);
        expect(v.timeline.some((e) => e.type === 'page')).toBe(true);
        expect(v.paged.find((p) => p.level === 0)?.delivered).toBe(false);
        return v;
      });
      expect(view.timeline.find((e) => e.type === 'page')?.message).toContain(
        'PagerDuty rejected the event (400',
      );
      // The paging activity has completed (a 400 is an answer, not a failure): no retry of it can follow.
      const events = await waitForEvent(
        handle,
        (_e, all) => completedActivities(all, 'pageContacts').length > 0,
      );
      const started = events.filter(
        (e) =>
          e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED && e.activityTaskStartedEventAttributes,
      );
      expect(started.every((e) => e.activityTaskStartedEventAttributes?.attempt === 1)).toBe(true);
      expect(
        pd.events().filter((e) => ofIncident(e, view) && e.routing_key === SECRETS.PD_ROUTING_KEY_PRIMARY),
      ).toHaveLength(1);

      pd.failures.push({ status: 503 });
      await handle.signal(escalateSignal, { by: 'alice', reason: 'primary unreachable' });
      await eventually(async () => {
        const v = await handle.query(statusQuery);
        expect(v.paged.find((p) => p.level === 1)).toMatchObject({
          levelName: 'secondary on-call',
          delivered: true,
        });
      }, 30_000);
      expect(
        pd.events().filter((e) => ofIncident(e, view) && e.routing_key === SECRETS.PD_ROUTING_KEY_SECONDARY)
          .length,
      ).toBeGreaterThanOrEqual(2);
    });

    test('a P3 opens a ticket through the ticket adapter and pages nobody', async () => {
      const handle = await open({ severity: 'P3', service: 'reports', summary: 'nightly export slow' });
      const view = await eventually(async () => {
        const v = await handle.query(statusQuery);
        expect(v.timeline.some((e) => e.type === 'ticket')).toBe(true);
        return v;
      });
      const ticket = tickets.requests.find((r) => r.body.incidentId === view.incidentId);
      expect(ticket?.headers.authorization).toBe(`Bearer ${SECRETS.TICKETS_TOKEN}`);
      expect(ticket?.body).toMatchObject({
        project: 'OPS',
        title: '[P3] reports: nightly export slow',
        due: 'next business day',
      });
      expect(view.timeline.find((e) => e.type === 'ticket')?.message).toContain('accepted (201)');
      expect(view.paged).toEqual([]);
    });

    test("the service's dashboard is linked from its page (PagerDuty links) and its announcement", async () => {
      const config = testConfig({
        slack: { apiUrl: slack.apiUrl },
        pagerduty: { eventsUrl: pd.eventsUrl },
        dashboardUrl: 'https://grafana.internal/d/svc?var-service={service}&from=now-4h',
        services: { checkout: { dashboardUrl: 'https://grafana.internal/d/checkout' } },
      });
      const journal = new Journal(path.join(dev.baseDir, 'dashboards.jsonl'));
      const paging = createPagingActivities(config, SECRETS, journal);
      const page = (service: string) =>
        paging.pageOnCall({
          incidentId: `incident-dash-${service}`,
          workflowId: `incident-dash-${service}`,
          service,
          severity: 'P1',
          summary: 'errors',
          levelName: 'Primary on-call',
          contactIds: ['primary-oncall'],
          channel: 'page',
          reason: 'new incident',
          thread: null,
        });
      expect((await page('storefront')).delivered).toBe(true);
      expect((await page('checkout')).delivered).toBe(true);
      const triggers = pd.events().filter((e) => String(e.dedup_key).startsWith('incident-dash-'));
      expect(triggers.map((e) => e.links)).toEqual([
        [
          {
            href: 'https://grafana.internal/d/svc?var-service=storefront&from=now-4h',
            text: 'storefront dashboard',
          },
        ],
        [{ href: 'https://grafana.internal/d/checkout', text: 'checkout dashboard' }],
      ]);
      await createSlackActivities(config, SECRETS, journal).announceIncident({
        incidentId: 'incident-dash-1',
        workflowId: 'incident-dash-1',
        text: ':rotating_light: *Incident* storefront',
        service: 'storefront',
      });
      expect(slack.messages().map((m) => m.text)).toContainEqual(
        ':rotating_light: *Incident* storefront\n*Dashboard*: <https://grafana.internal/d/svc?var-service=storefront&amp;from=now-4h|storefront dashboard>',
      );
    });

    test('a page retried after its worker died between writing the journal and reporting completion is written once', async () => {
      const file = path.join(dev.baseDir, `retried-${Date.now()}.jsonl`);
      const paging = createPagingActivities(testConfig(), {}, new Journal(file));
      const args = {
        incidentId: 'incident-retry-1',
        workflowId: 'incident-retry',
        service: 'checkout',
        severity: 'P1' as const,
        summary: 'errors',
        levelName: 'Primary on-call',
        contactIds: ['primary-oncall', 'secondary-oncall'],
        channel: 'page' as const,
        reason: 'new incident',
        thread: null,
      };
      const execution = {
        workflowExecution: { workflowId: 'incident-retry', runId: 'run-1' },
        activityId: '7',
      };
      const attempt = (n: number): Promise<DeliveryResult> =>
        new MockActivityEnvironment({ ...execution, attempt: n }).run(() => paging.pageOnCall(args));
      const lines = () => readFileSync(file, 'utf8').trim().split('\n');
      expect((await attempt(1)).delivered).toBe(true);
      expect(lines()).toHaveLength(2); // one per contact
      expect((await attempt(2)).delivered).toBe(true); // the retry: already written, not again
      expect(lines()).toHaveLength(2);
      // Another activity execution (the next rung, the same people) is a new page.
      await new MockActivityEnvironment({ ...execution, activityId: '8', attempt: 1 }).run(() =>
        paging.pageOnCall(args),
      );
      expect(lines()).toHaveLength(4);
    });

    test('a runbook proposal reaches Slack with Approve and Reject buttons that name the step', async () => {
      const slackActivities = createSlackActivities(
        testConfig({ slack: { apiUrl: slack.apiUrl } }),
        SECRETS,
        new Journal(path.join(dev.baseDir, 'j.jsonl')),
      );
      const thread = { channel: 'C0INCIDENTS', ts: '1700000000.000001' };
      const result = await slackActivities.requestApproval({
        incidentId: 'incident-x-1',
        workflowId: 'incident-0123456789abcdef0123',
        thread,
        step: 'raise-pool-size',
        text: 'Approval needed for raise-pool-size',
      });
      expect(result.delivered).toBe(true);
      const message = slack.messages().find((m) => m.text === 'Approval needed for raise-pool-size');
      expect(message).toMatchObject({ channel: 'C0INCIDENTS', thread_ts: thread.ts });
      const actions = JSON.parse(String(message!.blocks))[1].elements as {
        action_id: string;
        value: string;
        text: { text: string };
      }[];
      expect(actions.map((a) => [a.action_id, a.text.text])).toEqual([
        ['incident_approve', 'Approve'],
        ['incident_reject', 'Reject'],
      ]);
      // The button names its incident too: a click after the group reopened as another incident is refused.
      expect(JSON.parse(actions[0].value)).toEqual({
        workflowId: 'incident-0123456789abcdef0123',
        incidentId: 'incident-x-1',
        step: 'raise-pool-size',
      });
    });

    test('no secret appears in any workflow history', async () => {
      expect(handles.length).toBeGreaterThanOrEqual(4);
      for (const handle of handles) {
        const history = JSON.stringify(await handle.fetchHistory());
        for (const secret of Object.values(SECRETS)) expect(history).not.toContain(secret);
      }
    });
  },
);
