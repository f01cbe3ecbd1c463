/**
 * The intake against bodies as real senders send them: Grafana's documented webhook example, its "Test"
 * button, an Alertmanager before 0.19 (no fingerprint) whose alerts name a host but no service. None may
 * be refused: Alertmanager and Grafana drop a notification for good on a 4xx.
 */
import amOld from '../../fixtures/senders/alertmanager-0.18-host-only.json';
import grafanaDocumented from '../../fixtures/senders/grafana-documented-example.json';
import grafanaTest from '../../fixtures/senders/grafana-test-notification.json';
import { fromAlertmanager, fromGrafana, labelFingerprint } from '../../../intake/alerts';
import { LABELS_DROPPED, MAX_LABELS } from '../../../intake/routing';
import { testConfig } from '../../../scripts/testbed/config';

const config = testConfig();

test("Grafana's documented example (labels alertname, team, zone) routes to the default service and says so", () => {
  const { input, resolveOnly, test } = fromGrafana(grafanaDocumented, config);
  expect(resolveOnly).toBe(false);
  expect(test).toBeUndefined();
  expect(input.service).toBe('unrouted');
  expect(input.routedBy).toMatch(
    /no label "service", "job", "app", "namespace" named a service: routed to the default service "unrouted"/,
  );
  expect(input.alerts!.map((a) => a.fingerprint)).toEqual(['c6eadffa33fcdf37', 'bc97ff14869b13e3']);
  expect(input.summary).toBe('[FIRING:2]  (blue)');
});

test('the routing labels and the default service are configuration', () => {
  const teams = testConfig({ routing: { serviceLabels: ['team'], defaultService: 'catch-all' } });
  expect(fromGrafana(grafanaDocumented, teams).input).toMatchObject({ service: 'blue' });
  const none = testConfig({ routing: { serviceLabels: ['nothing'], defaultService: 'catch-all' } });
  expect(fromGrafana(grafanaDocumented, none).input).toMatchObject({ service: 'catch-all' });
});

test('a label whose value is no service name is passed over, not refused', () => {
  const body = structuredClone(grafanaDocumented);
  body.commonLabels = { ...body.commonLabels, service: 'has spaces & <b>' } as typeof body.commonLabels;
  const { input } = fromGrafana(body, config);
  expect(input.service).toBe('unrouted');
  expect(input.routedBy).toMatch(/label "service" is not a service name/);
});

test("Grafana's Test button is accepted as a test and opens nothing", () => {
  const action = fromGrafana(grafanaTest, config);
  expect(action.test).toMatch(/test notification/);
});

test('Alertmanager before 0.19: no fingerprint (computed from the sorted labels), no service label', () => {
  const { input } = fromAlertmanager(amOld, config);
  expect(input.service).toBe('unrouted');
  const [first, second] = input.alerts!;
  expect(first.fingerprint).toBe(labelFingerprint(amOld.alerts[0].labels));
  expect(first.fingerprint).toBe(
    labelFingerprint({ severity: 'info', host: 'db-1', alertname: 'DiskPressure' }),
  );
  expect(first.fingerprint).not.toBe(second.fingerprint);
  // The group opens at its most severe alert, and each alert carries its own severity for later raises.
  expect(input.severity).toBe('P1');
  expect([first.severity, second.severity]).toEqual(['P3', 'P1']);
});

test('a resolved-only post is recognised as one (the intake answers 202 and opens nothing)', () => {
  const body = structuredClone(amOld);
  body.status = 'resolved';
  for (const a of body.alerts) a.status = 'resolved';
  expect(fromAlertmanager(body, config).resolveOnly).toBe(true);
});

test('hundreds of labels are trimmed, not refused: routing labels first, the rest by name, the drop counted', () => {
  const body = structuredClone(amOld);
  const many: Record<string, string> = {};
  for (let i = 0; i < 300; i++) many[`k${String(i).padStart(3, '0')}`] = `v${i}`;
  // The routing labels come last in the body: they must survive the cut anyway.
  (body.alerts[0] as { labels: Record<string, string> }).labels = {
    ...many,
    alertname: 'DiskPressure',
    severity: 'critical',
    service: 'checkout',
  };
  const { input } = fromAlertmanager(body, config);
  expect(input).toMatchObject({ service: 'checkout', severity: 'P1' });
  const labels = input.alerts![0].labels;
  expect(Object.keys(labels)).toHaveLength(MAX_LABELS);
  expect(labels).toMatchObject({ alertname: 'DiskPressure', severity: 'critical', service: 'checkout' });
  expect(labels.k000).toBe('v0');
  expect(labels.k299).toBeUndefined();
  expect(labels[LABELS_DROPPED]).toBe(String(303 - (MAX_LABELS - 1)));
  // The fingerprint is the sender's, computed from every label when it sent none.
  expect(input.alerts![0].fingerprint).toBe(labelFingerprint(body.alerts[0].labels));
  // A few labels stay as they are.
  expect(fromAlertmanager(amOld, config).input.alerts![0].labels).toEqual(amOld.alerts[0].labels);
});

test("each alert keeps its sender's links: Grafana's dashboard, panel and silence; Alertmanager's silence form for its labels", () => {
  const grafana = fromGrafana(grafanaDocumented, config).input.alerts![0];
  expect(grafana.links).toEqual({
    source: expect.stringMatching(/^https?:\/\//),
    silence: expect.stringMatching(/^https?:\/\/.*silence/),
    ...(grafanaDocumented.alerts[0].dashboardURL
      ? { dashboard: grafanaDocumented.alerts[0].dashboardURL }
      : {}),
    ...(grafanaDocumented.alerts[0].panelURL ? { panel: grafanaDocumented.alerts[0].panelURL } : {}),
  });
  const am = fromAlertmanager(
    {
      ...amOld,
      externalURL: 'http://alertmanager.example:9093/',
      alerts: [{ ...amOld.alerts[0], labels: { alertname: 'Disk "full"', host: 'db-1' } }],
    },
    config,
  ).input.alerts![0];
  expect(am.links?.silence).toBe(
    `http://alertmanager.example:9093/#/silences/new?filter=${encodeURIComponent('{alertname="Disk \\"full\\"", host="db-1"}')}`,
  );
});

test('a link that is not http(s) is dropped, never made a link: javascript:, data:, relative', () => {
  const hostile = (url: string) =>
    fromGrafana(
      {
        ...grafanaDocumented,
        alerts: [
          {
            ...grafanaDocumented.alerts[0],
            generatorURL: url,
            dashboardURL: url,
            panelURL: url,
            silenceURL: url,
          },
        ],
      },
      config,
    ).input.alerts![0].links;
  expect(hostile('javascript:alert(1)')).toBeUndefined();
  expect(hostile('data:text/html,<script>alert(1)</script>')).toBeUndefined();
  expect(hostile('/relative/path')).toBeUndefined();
});
