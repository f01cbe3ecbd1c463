/** POST /alerts, /alerts/alertmanager, /alerts/grafana on the dev server: routing, hostile input, dedup, the token, health. */
import axios from 'axios';
import alertmanagerExample from '../../../examples/alerts/alertmanager.json';
import grafanaExample from '../../../examples/alerts/grafana.json';
import { incidentWorkflowId } from '../../../intake/incident-id';
import { statusQuery } from '../../../domain/messages';
import { testConfig, withoutIntakeLimits } from '../../../scripts/testbed/config';
import { eventually } from '../../../scripts/testbed/eventually';
import { counter } from '../../support/intake';
import { clone, TOKEN, unique, webhookIntake } from '../../support/webhooks';
import { describeWith } from '../../../scripts/testbed/services';

describeWith(['temporal'], 'alert routes on the dev server: senders, bad input, auth, dedup, health', () => {
  // Only the tech lead approves checkout's runbook steps.
  // Hundreds of posts a second from this one process: the limits are the flood test's subject, not this one's.
  const config = withoutIntakeLimits(testConfig({ services: { checkout: { approvers: ['tech-lead'] } } }));
  const t = webhookIntake(config);

  test('Alertmanager and Grafana posts open incidents routed from labels', async () => {
    const am = { ...clone(alertmanagerExample), groupKey: `am-${unique()}` };
    const res = await t.intake.post('/alerts/alertmanager', am);
    expect(res.status).toBe(202);
    const handle = t.dev.client.workflow.getHandle(res.data.incidents[0].workflowId);
    const view = await eventually(() => handle.query(statusQuery));
    expect(view).toMatchObject({ service: 'insights-app', scenario: 'high-memory', severity: 'P2' });
    const gf = { ...clone(grafanaExample), groupKey: `gf-${unique()}` };
    const res2 = await t.intake.post('/alerts/grafana', gf);
    expect(res2.status).toBe(202);
    const view2 = await eventually(() =>
      t.dev.client.workflow.getHandle(res2.data.incidents[0].workflowId).query(statusQuery),
    );
    expect(view2).toMatchObject({ scenario: 'pool-exhausted', severity: 'P1', summary: gf.title });
    await handle.terminate();
    await t.dev.client.workflow.getHandle(res2.data.incidents[0].workflowId).terminate();
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
        await t.intake.post('/alerts/alertmanager', am),
        await t.intake.post('/alerts/grafana', gf),
        await t.intake.post('/alerts', generic),
      ];
      expect(answers.map((a) => a.status)).toEqual([202, 202, 202]);
      for (const answer of answers) {
        const handle = t.dev.client.workflow.getHandle(answer.data.incidents[0].workflowId);
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
    const handle = await t.dev.client.workflow.start('incidentWorkflow', {
      taskQueue: t.dev.taskQueue,
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
    const opened = await t.intake.post('/alerts/alertmanager', firing);
    const handle = t.dev.client.workflow.getHandle(opened.data.incidents[0].workflowId);
    const resolved = clone(firing);
    resolved.status = 'resolved';
    resolved.alerts[0].status = 'resolved';
    const res = await t.intake.post('/alerts/alertmanager', resolved);
    expect(res.status).toBe(202);
    expect(res.data.incidents[0]).toMatchObject({ workflowId: handle.workflowId, resolvedSignalled: true });
    await eventually(async () => expect((await handle.query(statusQuery)).alerts[0].status).toBe('resolved'));
    await handle.terminate();

    const orphan = { ...resolved, groupKey: `orphan-${unique()}` };
    const res2 = await t.intake.post('/alerts/alertmanager', orphan);
    expect(res2.status).toBe(202);
    expect(res2.data.incidents).toEqual([]);
    await expect(
      t.dev.client.workflow.getHandle(incidentWorkflowId(`alertmanager:${orphan.groupKey}`)).describe(),
    ).rejects.toThrow(/not found/i);
  });

  test('50 identical posts in parallel make one incident and 49 deduplicated answers', async () => {
    const body = { service: 'checkout', summary: 'storm', severity: 'P2', dedupKey: `storm-${unique()}` };
    const answers = await Promise.all(Array.from({ length: 50 }, () => t.intake.post('/alerts', body)));
    expect(answers.map((a) => a.status)).toEqual(Array(50).fill(202));
    const incidents = answers.map((a) => a.data.incidents[0]);
    expect(new Set(incidents.map((i) => i.workflowId)).size).toBe(1);
    expect(new Set(incidents.map((i) => i.runId)).size).toBe(1);
    expect(incidents.filter((i) => !i.deduplicated)).toHaveLength(1);
    expect(incidents.filter((i) => i.deduplicated)).toHaveLength(49);
    // Posts that raced the first answer were signalled; later ones were absorbed by the resend filter.
    const signalled = incidents.filter((i) => !i.resend).length;
    const handle = t.dev.client.workflow.getHandle(incidents[0].workflowId);
    const alertSignals = async () =>
      ((await handle.fetchHistory()).events ?? []).filter(
        (e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'alert',
      ).length;
    await eventually(async () => expect(await alertSignals()).toBe(signalled));
    // Once Temporal has it, the same post costs the incident nothing: 100 more resends, 0 signals.
    for (let i = 0; i < 100; i++)
      expect((await t.intake.post('/alerts', body)).data.incidents[0].resend).toBe(true);
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
    ['service with spaces and quotes', '/alerts', { service: 'a"; rm -rf /', summary: 'x' }, 400, 'service'],
    ['missing summary', '/alerts', { service: 'x' }, 400, 'summary'],
    ['oversized summary', '/alerts', { service: 'x', summary: 'y'.repeat(3000) }, 400, 'summary'],
    ['unknown severity', '/alerts', { service: 'x', summary: 'y', severity: 'P9' }, 400, 'severity'],
    ['unknown status', '/alerts', { service: 'x', summary: 'y', status: 'maybe' }, 400, 'status'],
    ['unknown scenario', '/alerts', { service: 'x', summary: 'y', scenario: 'meltdown' }, 400, 'scenario'],
    ['non-string label', '/alerts', { service: 'x', summary: 'y', labels: { team: 7 } }, 400, 'labels.team'],
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
    // (test/unit/intake/alerts-senders.test.ts): Alertmanager and Grafana drop a notification refused with a 4xx.
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
      const startedBefore = await counter(t.intake.metrics, 'started');
      const headers: Record<string, string> = _what === 'text/plain' ? { 'content-type': 'text/plain' } : {};
      const res = await t.intake.post(route, body, headers);
      expect(res.status).toBe(status);
      expect(res.data.error).toMatch(
        typeof field === 'string' ? new RegExp(`^${field.replace(/[[\]().]/g, '\\$&')}`) : field,
      );
      if (status === 400) expect(res.data.field ?? 'body').toMatch(typeof field === 'string' ? field : field);
      expect(await counter(t.intake.metrics, 'started')).toBe(startedBefore);
    },
  );

  test('the intake logs where each post went, and each refusal with its field, route and source', async () => {
    const body = { service: 'checkout', summary: 'logged', severity: 'P2', dedupKey: `log-${unique()}` };
    const res = await t.intake.post('/alerts', body);
    expect(res.status).toBe(202);
    const { workflowId, runId } = res.data.incidents[0] as { workflowId: string; runId: string };
    expect((await t.intake.post('/alerts/grafana', { alerts: 'none' })).status).toBe(400);
    expect((await t.intake.post('/alerts', body, { authorization: 'Bearer wrong' })).status).toBe(401);
    expect(t.intake.logged).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          level: 'info',
          msg: 'alert started',
          source: 'generic',
          incidentId: `${workflowId}-${runId.slice(0, 8)}`,
          workflowId,
          runId,
          service: 'checkout',
          severity: 'P2',
          reqId: expect.anything(),
        }),
        expect.objectContaining({ level: 'warn', source: 'grafana', field: 'status' }),
        expect.objectContaining({ level: 'warn', route: '/alerts/grafana', code: 400, from: '127.0.0.1' }),
        expect.objectContaining({ level: 'warn', route: '/alerts', code: 401, msg: 'answered 401' }),
      ]),
    );
    // The token is never in a line.
    expect(JSON.stringify(t.intake.logged)).not.toContain(TOKEN);
    await t.dev.client.workflow.getHandle(workflowId).terminate();
  });

  test('a wrong or missing bearer token gets 401 and starts nothing', async () => {
    const body = { service: 'x', summary: 'y', dedupKey: `auth-${unique()}` };
    expect((await t.intake.post('/alerts', body, { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await t.intake.post('/alerts', body, { authorization: '' })).status).toBe(401);
    expect(
      (
        await t.intake.post('/alerts/alertmanager', alertmanagerExample, {
          authorization: `Bearer ${TOKEN}x`,
        })
      ).status,
    ).toBe(401);
    await expect(
      t.dev.client.workflow.getHandle(incidentWorkflowId(body.dedupKey)).describe(),
    ).rejects.toThrow(/not found/i);
  });

  test('health for anyone; readiness and Prometheus metrics behind the token', async () => {
    expect((await axios.get(`${t.intake.url}/healthz`)).data).toEqual({ status: 'ok' });
    for (const path of ['/readyz', '/metrics'])
      expect([
        path,
        (await axios.get(`${t.intake.url}${path}`, { validateStatus: () => true })).status,
      ]).toEqual([path, 401]);
    const auth = { headers: { authorization: `Bearer ${TOKEN}` } };
    expect((await axios.get(`${t.intake.url}/readyz`, auth)).data).toEqual({
      status: 'ready',
      temporal: 'reachable',
    });
    // The scheme is case-insensitive, as HTTP says; the token itself is not.
    for (const scheme of ['bearer', 'BEARER'])
      expect(
        (await axios.get(`${t.intake.url}/readyz`, { headers: { authorization: `${scheme} ${TOKEN}` } }))
          .status,
      ).toBe(200);
    const upper = { headers: { authorization: `Bearer ${TOKEN.toUpperCase()}` }, validateStatus: () => true };
    expect((await axios.get(`${t.intake.url}/readyz`, upper)).status).toBe(401);
    const metrics = (await axios.get(`${t.intake.url}/metrics`, auth)).data as string;
    expect(metrics).toMatch(/durable_runbooks_intake_posts_total\{source="generic",outcome="rejected"\} \d+/);
    // The 50 parallel posts: 49 deduplicated by Temporal or absorbed by the resend filter, then 100 absorbed.
    const count = (outcome: string) =>
      Number(
        new RegExp(
          `durable_runbooks_intake_posts_total\\{source="generic",outcome="${outcome}"\\} (\\d+)`,
        ).exec(metrics)?.[1] ?? 0,
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
      const res = await t.intake.post('/alerts', raw);
      expect(res.status).toBe(400);
      expect(res.data.error).toBe('body: "__proto__" and "constructor" keys are not allowed');
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // The signature is checked on the raw body before any parsing: a bad signature is 401 whatever follows.
    const junk = `{"event": ${'['.repeat(200_000)}`;
    const unsigned = await t.intake.post('/pagerduty/webhooks', junk, { 'x-pagerduty-signature': 'v1=00' });
    expect([unsigned.status, unsigned.data.error]).toEqual([401, 'bad PagerDuty signature']);
    const form = 'payload=%7B%22type%22%3A%22block_actions%22%7D';
    const slackUnsigned = await t.intake.post('/slack/interactions', form, {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect([slackUnsigned.status, slackUnsigned.data.error]).toEqual([
      401,
      'missing Slack signature headers',
    ]);
    // Signed routes take only their own content type.
    const jsonToSlack = await t.intake.post('/slack/interactions', { payload: '{}' });
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
      const res = await t.intake.post('/alerts/alertmanager', am);
      expect([service.slice(0, 20), res.status]).toEqual([service.slice(0, 20), 202]);
      const view = await t.dev.client.workflow.getHandle(res.data.incidents[0].workflowId).query(statusQuery);
      expect(view.service).toBe('unrouted');
    }
    await expect(
      t.dev.client.workflow.getHandle(incidentWorkflowId(base.dedupKey)).describe(),
    ).rejects.toThrow(/not found/i);
  });
});
