import { createHmac } from 'node:crypto';
import path from 'node:path';
import axios from 'axios';
import { Client, Connection } from '@temporalio/client';
import alertmanagerExample from '../../examples/alerts/alertmanager.json';
import grafanaExample from '../../examples/alerts/grafana.json';
import { incidentWorkflowId } from '../../intake/incident-id';
import { openOrSignalIncident } from '../../intake/open-incident';
import { encodeButtonValue } from '../../activities/slack-buttons';
import { startTemporalDevServer, freePort } from '../../scripts/testbed/local-services';
import { statusQuery } from '../../domain/messages';
import { testConfig, withoutIntakeLimits } from '../../scripts/testbed/config';
import { startDevWorker, type DevWorker } from '../support/dev-server';
import { eventually } from '../../scripts/testbed/eventually';
import { counter, startIntake, type RunningIntake } from '../support/intake';
import { describeWith } from '../../scripts/testbed/services';
import { tempDir } from '../../scripts/testbed/temporal';

const TOKEN = 'intake-test-token-0123456789';
const SLACK_SECRET = 'slack-signing-secret-for-tests';
const PD_SECRET = 'pagerduty-webhook-secret-for-tests';
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v));
const unique = () => `${Date.now()}-${Math.random().toString(16).slice(2, 8)}`;

function slackSigned(body: string, ts = Math.floor(Date.now() / 1000)) {
  const signature = `v0=${createHmac('sha256', SLACK_SECRET).update(`v0:${ts}:${body}`).digest('hex')}`;
  return {
    'content-type': 'application/x-www-form-urlencoded',
    'x-slack-request-timestamp': String(ts),
    'x-slack-signature': signature,
  };
}

describeWith(
  ['temporal'],
  'alert intake on the dev server: webhooks, bad input, auth, dedup, responders',
  () => {
    let dev: DevWorker;
    let intake: RunningIntake;
    // Only the tech lead approves checkout's runbook steps.
    // Hundreds of posts a second from this one process: the limits are the flood test's subject, not this one's.
    const config = withoutIntakeLimits(testConfig({ services: { checkout: { approvers: ['tech-lead'] } } }));

    beforeAll(async () => {
      dev = await startDevWorker(config);
      intake = await startIntake({
        client: dev.client,
        config,
        taskQueue: dev.taskQueue,
        token: TOKEN,
        env: { SLACK_SIGNING_SECRET: SLACK_SECRET, PAGERDUTY_WEBHOOK_SECRET: PD_SECRET },
      });
    });
    afterAll(async () => {
      await intake?.close();
      await dev?.close();
    });

    test('Alertmanager and Grafana posts open incidents routed from labels', async () => {
      const am = { ...clone(alertmanagerExample), groupKey: `am-${unique()}` };
      const res = await intake.post('/alerts/alertmanager', am);
      expect(res.status).toBe(202);
      const handle = dev.client.workflow.getHandle(res.data.incidents[0].workflowId);
      const view = await eventually(() => handle.query(statusQuery));
      expect(view).toMatchObject({ service: 'insights-app', scenario: 'high-memory', severity: 'P2' });
      const gf = { ...clone(grafanaExample), groupKey: `gf-${unique()}` };
      const res2 = await intake.post('/alerts/grafana', gf);
      expect(res2.status).toBe(202);
      const view2 = await eventually(() =>
        dev.client.workflow.getHandle(res2.data.incidents[0].workflowId).query(statusQuery),
      );
      expect(view2).toMatchObject({ scenario: 'pool-exhausted', severity: 'P1', summary: gf.title });
      await handle.terminate();
      await dev.client.workflow.getHandle(res2.data.incidents[0].workflowId).terminate();
    });

    test.each(['constructor', '__proto__', 'toString'])(
      'severity and alertname %j on every route open an incident that pages',
      async (key) => {
        const am = clone(alertmanagerExample);
        am.groupKey = `hostile-am-${unique()}`;
        am.commonLabels = { ...am.commonLabels, severity: key, alertname: key };
        am.alerts[0].labels = { ...am.alerts[0].labels, severity: key, alertname: key };
        const gf = clone(grafanaExample);
        gf.groupKey = `hostile-gf-${unique()}`;
        gf.commonLabels = { ...gf.commonLabels, severity: key, alertname: key };
        gf.alerts[0].labels = { ...gf.alerts[0].labels, severity: key, alertname: key };
        const generic = {
          service: 'checkout',
          summary: `hostile ${key}`,
          dedupKey: `hostile-generic-${unique()}`,
          labels: { severity: key, alertname: key },
        };
        const answers = [
          await intake.post('/alerts/alertmanager', am),
          await intake.post('/alerts/grafana', gf),
          await intake.post('/alerts', generic),
        ];
        expect(answers.map((a) => a.status)).toEqual([202, 202, 202]);
        for (const answer of answers) {
          const handle = dev.client.workflow.getHandle(answer.data.incidents[0].workflowId);
          const view = await eventually(async () => {
            const v = await handle.query(statusQuery);
            expect(v.paged.filter((p) => p.level === 0)).toHaveLength(1);
            return v;
          });
          expect(['P1', 'P2', 'P3']).toContain(view.severity);
          expect(view.scenario).toBe('health');
          await handle.terminate();
        }
      },
    );

    test('a workflow started directly with a hostile severity and scenario pages as P1 and says why', async () => {
      const handle = await dev.client.workflow.start('incidentWorkflow', {
        taskQueue: dev.taskQueue,
        workflowId: `hostile-start-${unique()}`,
        args: [
          {
            dedupKey: 'x',
            service: '__proto__',
            scenario: 'constructor',
            severity: '__proto__',
            summary: 's',
          },
        ],
      });
      const view = await eventually(async () => {
        const v = await handle.query(statusQuery);
        expect(v.paged.filter((p) => p.level === 0)).toHaveLength(1);
        return v;
      });
      expect(view).toMatchObject({ severity: 'P1', scenario: 'health', service: '__proto__' });
      expect(view.timeline.filter((e) => e.type === 'error').map((e) => e.message)).toEqual([
        expect.stringContaining('severity "__proto__" is not P1, P2 or P3: paging as P1'),
        expect.stringContaining('scenario "constructor" is unknown'),
      ]);
      await handle.terminate();
    });

    test('a resolved alert is signalled to its incident and never opens one', async () => {
      const groupKey = `res-${unique()}`;
      const firing = { ...clone(alertmanagerExample), groupKey };
      const opened = await intake.post('/alerts/alertmanager', firing);
      const handle = dev.client.workflow.getHandle(opened.data.incidents[0].workflowId);
      const resolved = clone(firing);
      resolved.status = 'resolved';
      resolved.alerts[0].status = 'resolved';
      const res = await intake.post('/alerts/alertmanager', resolved);
      expect(res.status).toBe(202);
      expect(res.data.incidents[0]).toMatchObject({ workflowId: handle.workflowId, resolvedSignalled: true });
      await eventually(async () =>
        expect((await handle.query(statusQuery)).alerts[0].status).toBe('resolved'),
      );
      await handle.terminate();

      const orphan = { ...resolved, groupKey: `orphan-${unique()}` };
      const res2 = await intake.post('/alerts/alertmanager', orphan);
      expect(res2.status).toBe(202);
      expect(res2.data.incidents).toEqual([]);
      await expect(
        dev.client.workflow.getHandle(incidentWorkflowId(`alertmanager:${orphan.groupKey}`)).describe(),
      ).rejects.toThrow(/not found/i);
    });

    test('50 identical posts in parallel make one incident and 49 deduplicated answers', async () => {
      const body = { service: 'checkout', summary: 'storm', severity: 'P2', dedupKey: `storm-${unique()}` };
      const answers = await Promise.all(Array.from({ length: 50 }, () => intake.post('/alerts', body)));
      expect(answers.map((a) => a.status)).toEqual(Array(50).fill(202));
      const incidents = answers.map((a) => a.data.incidents[0]);
      expect(new Set(incidents.map((i) => i.workflowId)).size).toBe(1);
      expect(new Set(incidents.map((i) => i.runId)).size).toBe(1);
      expect(incidents.filter((i) => !i.deduplicated)).toHaveLength(1);
      expect(incidents.filter((i) => i.deduplicated)).toHaveLength(49);
      // Posts that raced the first answer were signalled; later ones were absorbed by the resend filter.
      const signalled = incidents.filter((i) => !i.resend).length;
      const handle = dev.client.workflow.getHandle(incidents[0].workflowId);
      const alertSignals = async () =>
        ((await handle.fetchHistory()).events ?? []).filter(
          (e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'alert',
        ).length;
      await eventually(async () => expect(await alertSignals()).toBe(signalled));
      // Once Temporal has it, the same post costs the incident nothing: 100 more resends, 0 signals.
      for (let i = 0; i < 100; i++)
        expect((await intake.post('/alerts', body)).data.incidents[0].resend).toBe(true);
      expect(await alertSignals()).toBe(signalled);
      const history = (await handle.fetchHistory()).events ?? [];
      expect(history.filter((e) => e.workflowExecutionStartedEventAttributes)).toHaveLength(1);
      await handle.terminate();
    });

    const big = 'x'.repeat(1024 * 1024 + 10);
    const am = (patch: (a: ReturnType<typeof clone<typeof alertmanagerExample>>) => unknown) => {
      const a = clone(alertmanagerExample);
      a.groupKey = `bad-${unique()}`;
      return patch(a) ?? a;
    };
    const badInputs: [string, string, unknown, number, string | RegExp][] = [
      ['invalid JSON', '/alerts', '{"service": ', 400, 'body'],
      ['a JSON array', '/alerts', '[1,2]', 400, 'body'],
      ['a JSON string', '/alerts', '"hello"', 400, 'body'],
      ['null', '/alerts', 'null', 400, 'body'],
      ['missing service', '/alerts', { summary: 'x' }, 400, 'service'],
      ['empty service', '/alerts', { service: '', summary: 'x' }, 400, 'service'],
      ['numeric service', '/alerts', { service: 42, summary: 'x' }, 400, 'service'],
      [
        'service with spaces and quotes',
        '/alerts',
        { service: 'a"; rm -rf /', summary: 'x' },
        400,
        'service',
      ],
      ['missing summary', '/alerts', { service: 'x' }, 400, 'summary'],
      ['oversized summary', '/alerts', { service: 'x', summary: 'y'.repeat(3000) }, 400, 'summary'],
      ['unknown severity', '/alerts', { service: 'x', summary: 'y', severity: 'P9' }, 400, 'severity'],
      ['unknown status', '/alerts', { service: 'x', summary: 'y', status: 'maybe' }, 400, 'status'],
      ['unknown scenario', '/alerts', { service: 'x', summary: 'y', scenario: 'meltdown' }, 400, 'scenario'],
      [
        'non-string label',
        '/alerts',
        { service: 'x', summary: 'y', labels: { team: 7 } },
        400,
        'labels.team',
      ],
      ['unknown field', '/alerts', { service: 'x', summary: 'y', sevrity: 'P1' }, 400, 'sevrity'],
      [
        'prototype pollution',
        '/alerts',
        '{"service":"x","summary":"y","__proto__":{"admin":true}}',
        400,
        'body',
      ],
      ['empty dedupKey', '/alerts', { service: 'x', summary: 'y', dedupKey: '' }, 400, 'dedupKey'],
      ['bad url', '/alerts', { service: 'x', summary: 'y', url: 'not a url' }, 400, 'url'],
      ['Alertmanager version 3', '/alerts/alertmanager', am((a) => void (a.version = '3')), 400, 'version'],
      ['Alertmanager without alerts', '/alerts/alertmanager', am((a) => void (a.alerts = [])), 400, 'alerts'],
      [
        'Alertmanager without groupKey',
        '/alerts/alertmanager',
        am((a) => ({ ...a, groupKey: undefined })),
        400,
        'groupKey',
      ],
      // Well-formed bodies without a fingerprint, a service label or an orgId are accepted since issue 24
      // (test/unit/intake-senders.test.ts): Alertmanager and Grafana drop a notification refused with a 4xx.
      [
        'Grafana custom template',
        '/alerts/grafana',
        { title: 'custom', message: 'only text' },
        400,
        /groupKey|status|orgId|alerts/,
      ],
      ['body over 1 MiB', '/alerts', { service: 'x', summary: 'y', labels: { big } }, 413, 'body'],
      ['text/plain', '/alerts', 'service=x', 415, 'content-type'],
    ];

    test.each(badInputs)(
      '%s → the right 4xx naming the field, nothing started',
      async (_what, route, body, status, field) => {
        const startedBefore = await counter(intake.metrics, 'started');
        const headers: Record<string, string> =
          _what === 'text/plain' ? { 'content-type': 'text/plain' } : {};
        const res = await intake.post(route, body, headers);
        expect(res.status).toBe(status);
        expect(res.data.error).toMatch(
          typeof field === 'string' ? new RegExp(`^${field.replace(/[[\]().]/g, '\\$&')}`) : field,
        );
        if (status === 400)
          expect(res.data.field ?? 'body').toMatch(typeof field === 'string' ? field : field);
        expect(await counter(intake.metrics, 'started')).toBe(startedBefore);
      },
    );

    test('a wrong or missing bearer token gets 401 and starts nothing', async () => {
      const body = { service: 'x', summary: 'y', dedupKey: `auth-${unique()}` };
      expect((await intake.post('/alerts', body, { authorization: 'Bearer wrong' })).status).toBe(401);
      expect((await intake.post('/alerts', body, { authorization: '' })).status).toBe(401);
      expect(
        (
          await intake.post('/alerts/alertmanager', alertmanagerExample, {
            authorization: `Bearer ${TOKEN}x`,
          })
        ).status,
      ).toBe(401);
      await expect(
        dev.client.workflow.getHandle(incidentWorkflowId(body.dedupKey)).describe(),
      ).rejects.toThrow(/not found/i);
    });

    test('health for anyone; readiness and Prometheus metrics behind the token', async () => {
      expect((await axios.get(`${intake.url}/healthz`)).data).toEqual({ status: 'ok' });
      for (const path of ['/readyz', '/metrics'])
        expect([
          path,
          (await axios.get(`${intake.url}${path}`, { validateStatus: () => true })).status,
        ]).toEqual([path, 401]);
      const auth = { headers: { authorization: `Bearer ${TOKEN}` } };
      expect((await axios.get(`${intake.url}/readyz`, auth)).data).toEqual({
        status: 'ready',
        temporal: 'reachable',
      });
      const metrics = (await axios.get(`${intake.url}/metrics`, auth)).data as string;
      expect(metrics).toMatch(/runbooks_intake_posts_total\{source="generic",outcome="rejected"\} \d+/);
      // The 50 parallel posts: 49 deduplicated by Temporal or absorbed by the resend filter, then 100 absorbed.
      const count = (outcome: string) =>
        Number(
          new RegExp(`runbooks_intake_posts_total\\{source="generic",outcome="${outcome}"\\} (\\d+)`).exec(
            metrics,
          )?.[1] ?? 0,
        );
      expect(count('resend_absorbed')).toBeGreaterThanOrEqual(100);
      expect(count('deduplicated') + count('resend_absorbed')).toBeGreaterThanOrEqual(149);
    });

    test('hostile bodies: prototype keys, unsigned bodies on signed routes, service labels that break the rule', async () => {
      const base = { service: 'checkout', summary: 'poison', dedupKey: `poison-${unique()}` };
      for (const raw of [
        `{"service":"checkout","summary":"x","__proto__":{"polluted":true}}`,
        `{"service":"checkout","summary":"x","constructor":{"prototype":{"polluted":true}}}`,
      ]) {
        const res = await intake.post('/alerts', raw);
        expect(res.status).toBe(400);
        expect(res.data.error).toBe('body: "__proto__" and "constructor" keys are not allowed');
      }
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      // The signature is checked on the raw body before any parsing: a bad signature is 401 whatever follows.
      const junk = `{"event": ${'['.repeat(200_000)}`;
      const unsigned = await intake.post('/pagerduty/webhooks', junk, { 'x-pagerduty-signature': 'v1=00' });
      expect([unsigned.status, unsigned.data.error]).toEqual([401, 'bad PagerDuty signature']);
      const form = 'payload=%7B%22type%22%3A%22block_actions%22%7D';
      const slackUnsigned = await intake.post('/slack/interactions', form, {
        'content-type': 'application/x-www-form-urlencoded',
      });
      expect([slackUnsigned.status, slackUnsigned.data.error]).toEqual([
        401,
        'missing Slack signature headers',
      ]);
      // Signed routes take only their own content type.
      const jsonToSlack = await intake.post('/slack/interactions', { payload: '{}' });
      expect(jsonToSlack.status).toBe(415);
      // A label that is no service name by the generic route's rule is passed over: the alert is routed to
      // the default service, never refused (Alertmanager would drop it for good).
      for (const service of ['<!channel>', 'x'.repeat(300), 'api\u001b[31m', '../../etc']) {
        const am = {
          ...clone(alertmanagerExample),
          groupKey: `am-${unique()}`,
          commonLabels: { service },
          alerts: clone(alertmanagerExample).alerts.map((a: { labels: object }) => ({
            ...a,
            labels: { ...a.labels, service },
          })),
        };
        const res = await intake.post('/alerts/alertmanager', am);
        expect([service.slice(0, 20), res.status]).toEqual([service.slice(0, 20), 202]);
        const view = await dev.client.workflow.getHandle(res.data.incidents[0].workflowId).query(statusQuery);
        expect(view.service).toBe('unrouted');
      }
      await expect(
        dev.client.workflow.getHandle(incidentWorkflowId(base.dedupKey)).describe(),
      ).rejects.toThrow(/not found/i);
    });

    test('Slack buttons: a signed click acknowledges as the Slack user id; bad or stale signatures get 401', async () => {
      const opened = await intake.post('/alerts', {
        service: 'checkout',
        summary: 'slack click',
        severity: 'P1',
        dedupKey: `slack-${unique()}`,
      });
      const workflowId = opened.data.incidents[0].workflowId;
      const payload = JSON.stringify({
        type: 'block_actions',
        user: { id: 'U0PRIMARY', username: 'carol' },
        actions: [{ action_id: 'incident_acknowledge', value: encodeButtonValue({ workflowId }) }],
      });
      const body = `payload=${encodeURIComponent(payload)}`;
      const bad = await intake.post('/slack/interactions', body, {
        ...slackSigned(body),
        'x-slack-signature': 'v0=deadbeef',
      });
      expect(bad.status).toBe(401);
      const stale = await intake.post(
        '/slack/interactions',
        body,
        slackSigned(body, Math.floor(Date.now() / 1000) - 301),
      );
      expect(stale.status).toBe(401);
      expect(stale.data.error).toMatch(/stale/);
      const tampered = await intake.post(
        '/slack/interactions',
        body.replace('carol', 'mallory'),
        slackSigned(body),
      );
      expect(tampered.status).toBe(401);
      const handle = dev.client.workflow.getHandle(workflowId);
      expect((await handle.query(statusQuery)).status).toBe('triggered');
      // A button from an earlier incident of the same alert group is refused with the reason.
      const view = await handle.query(statusQuery);
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
      const old = await intake.post('/slack/interactions', oldBody, slackSigned(oldBody));
      expect(old.status).toBe(200);
      expect(old.data.text).toBe(
        `Not done: that was for incident ${workflowId}-0000dead, which is closed; the open incident for this alert group is ${view.incidentId}.`,
      );
      expect((await handle.query(statusQuery)).status).toBe('triggered');

      const ok = await intake.post('/slack/interactions', body, slackSigned(body));
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
            value: encodeButtonValue({ workflowId, step: 'raise-pool-size' }),
          },
        ],
      });
      const approveBody = `payload=${encodeURIComponent(approve)}`;
      // carol is on call but not one of checkout's approvers: refused before the incident hears of it.
      const notApprover = await intake.post('/slack/interactions', approveBody, slackSigned(approveBody));
      expect(notApprover.status).toBe(200);
      expect(notApprover.data.text).toBe(
        'Not done: Primary on-call (slack:U0PRIMARY) may not approve step "raise-pool-size" of checkout: its approvers are Tech lead.',
      );
      // The tech lead may: the incident answers (nothing is proposed yet).
      const techLead = approveBody.replace('U0PRIMARY', 'U0TECHLEAD');
      const refused = await intake.post('/slack/interactions', techLead, slackSigned(techLead));
      expect(refused.status).toBe(200);
      expect(refused.data.text).toBe('Not done: no step "raise-pool-size" is waiting for approval.');
      // Someone in the workspace who is no contact cannot even resolve.
      const stranger = body
        .replace('U0PRIMARY', 'U0STRANGER')
        .replace('incident_acknowledge', 'incident_resolve');
      const notContact = await intake.post('/slack/interactions', stranger, slackSigned(stranger));
      expect(notContact.data.text).toBe(
        'Not done: slack:U0STRANGER (carol) is not a configured contact: add their slackUserId to a contact, or "slack:U0STRANGER" to access.allow.',
      );
      expect((await handle.query(statusQuery)).status).toBe('acknowledged');
      await handle.terminate();
    });

    test('Slack /incident declare: a contact opens an incident, attributed; a stranger and bad text are told why', async () => {
      const form = (text: string, userId = 'U0SECONDARY') =>
        new URLSearchParams({ command: '/incident', text, user_id: userId, user_name: 'sam' }).toString();
      const post = (body: string) => intake.post('/slack/commands', body, slackSigned(body));
      const ok = await post(form('declare checkout P2 checkout is slow for EU customers'));
      expect(ok.status).toBe(200);
      expect(ok.data.response_type).toBe('in_channel');
      const workflowId = /declared (incident-[0-9a-f]{20}): P2 checkout/.exec(ok.data.text)?.[1];
      expect(ok.data.text).toMatch(/^Secondary on-call \(slack:U0SECONDARY\) declared incident-/);
      const handle = dev.client.workflow.getHandle(workflowId!);
      const view = await handle.query(statusQuery);
      expect(view.timeline[0]).toMatchObject({
        type: 'opened',
        actor: 'Secondary on-call (slack:U0SECONDARY)',
        message: 'incident declared: checkout is slow for EU customers (P2, checkout, health)',
      });
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
          await intake.post('/slack/commands', unsigned, {
            'content-type': 'application/x-www-form-urlencoded',
          })
        ).status,
      ).toBe(401);
      await handle.terminate();
    });

    test('PagerDuty v3 webhooks: incident.acknowledged for our dedup key acknowledges; unsigned gets 401', async () => {
      const alertBody = {
        service: 'checkout',
        summary: 'pd ack',
        severity: 'P1' as const,
        dedupKey: `pd-${unique()}`,
      };
      const opened = await intake.post('/alerts', alertBody);
      const handle = dev.client.workflow.getHandle(opened.data.incidents[0].workflowId);
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
        (await intake.post('/pagerduty/webhooks', body, { 'x-pagerduty-signature': 'v1=00' })).status,
      ).toBe(401);
      const res = await intake.post('/pagerduty/webhooks', body, {
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
      const replayed = await intake.post('/pagerduty/webhooks', body, {
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
      const stale = await intake.post('/pagerduty/webhooks', old, { 'x-pagerduty-signature': sign(old) });
      expect(stale.status).toBe(202);
      expect(stale.data.refused).toMatch(
        /^event\.occurred_at: .* is older than 600 s \(stale or replayed\)$/,
      );
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
      const notContact = await intake.post('/pagerduty/webhooks', outsider, {
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
        (await intake.post('/pagerduty/webhooks', foreign, { 'x-pagerduty-signature': sign(foreign) })).data
          .ignored,
      ).toMatch(/not one of our incidents/);
      await handle.terminate();

      // The same alert group opens a new incident (same workflow, new run): the old incident's PagerDuty
      // alert, resolved late, must not close the new one.
      // (Opened straight through Temporal: the intake would absorb the same post for its resend window.)
      const again = await openOrSignalIncident(
        dev.client,
        { ...alertBody, scenario: 'health', severity: 'P1', security: false },
        { taskQueue: dev.taskQueue },
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
      const earlier = await intake.post('/pagerduty/webhooks', late, { 'x-pagerduty-signature': sign(late) });
      expect(earlier.status).toBe(202);
      expect(earlier.data.refused).toContain(`that was for incident ${view.incidentId}, which is closed`);
      expect((await handle.query(statusQuery)).status).toBe('triggered');
      await handle.terminate();
    });
  },
);

describeWith(['temporal'], 'a token-less intake on a laptop: only this machine, only JSON', () => {
  let dev: DevWorker;
  let intake: RunningIntake;
  const config = testConfig();
  beforeAll(async () => {
    dev = await startDevWorker(config);
    intake = await startIntake({ client: dev.client, config, taskQueue: dev.taskQueue }); // no token
  });
  afterAll(async () => {
    await intake?.close();
    await dev?.close();
  });
  const alert = () => ({
    service: 'checkout',
    summary: 'laptop',
    severity: 'P3',
    dedupKey: `laptop-${unique()}`,
  });

  test('a web page auto-submitting a form (no CORS preflight) is refused before anything starts', async () => {
    const body = new URLSearchParams(alert()).toString();
    const res = await intake.post('/alerts', body, { 'content-type': 'application/x-www-form-urlencoded' });
    expect(res.status).toBe(415);
    expect(res.data.error).toBe('content-type: expected application/json');
    const text = await intake.post('/alerts', JSON.stringify(alert()), { 'content-type': 'text/plain' });
    expect(text.status).toBe(415);
    await expect(
      dev.client.workflow.getHandle(incidentWorkflowId(alert().dedupKey)).describe(),
    ).rejects.toThrow(/not found/i);
  });

  test('DNS rebinding: a request naming another host is refused; loopback names are served', async () => {
    for (const host of ['evil.example:8088', '127.0.0.1.evil.example', '127.evil.example', '10.0.0.7:8088']) {
      const res = await intake.post('/alerts', alert(), { host });
      expect([host, res.status]).toEqual([host, 403]);
      expect(res.data.field).toBe('host');
    }
    for (const host of ['127.0.0.1', 'localhost:8088', '[::1]:8088']) {
      const res = await intake.post('/alerts', alert(), { host });
      expect([host, res.status]).toEqual([host, 202]);
      await dev.client.workflow.getHandle(res.data.incidents[0].workflowId).terminate();
    }
  });
});

describeWith(['temporal'], 'intake while Temporal is down', () => {
  test('answers 503 with Retry-After, and the same post succeeds once Temporal is back', async () => {
    const stateDir = tempDir('temporal-outage-');
    const port = await freePort();
    let server = await startTemporalDevServer(path.join(stateDir, 'a'), { port, headless: true });
    const connection = Connection.lazy({ address: server.address });
    const client = new Client({ connection });
    const intake = await startIntake({ client, config: testConfig(), taskQueue: 'outage-test' });
    try {
      const body = { service: 'checkout', summary: 'outage', dedupKey: `outage-${unique()}` };
      await server.stop();
      const down = await intake.post('/alerts', body);
      expect(down.status).toBe(503);
      expect(down.headers['retry-after']).toBe('10');
      expect((await axios.get(`${intake.url}/readyz`, { validateStatus: () => true })).status).toBe(503);
      server = await startTemporalDevServer(path.join(stateDir, 'a'), { port, headless: true });
      const up = await eventually(
        async () => {
          const res = await intake.post('/alerts', body);
          expect(res.status).toBe(202);
          return res;
        },
        30_000,
        500,
      );
      expect(up.data.incidents[0]).toMatchObject({
        workflowId: incidentWorkflowId(body.dedupKey),
        deduplicated: false,
      });
    } finally {
      await intake.close();
      await connection.close();
      await server.stop();
    }
  });
});
