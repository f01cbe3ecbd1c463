import alertmanagerExample from '../../../examples/alerts/alertmanager.json';
import grafanaExample from '../../../examples/alerts/grafana.json';
import { AlertRejected, fromAlertmanager, fromGeneric, fromGrafana } from '../../../intake/alerts';
import { incidentWorkflowId } from '../../../intake/incident-id';
import { testConfig } from '../../../scripts/testbed/config';

const config = testConfig();
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v));

function rejection(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof AlertRejected) return err.field;
    throw err;
  }
  throw new Error('accepted');
}

test('Alertmanager v4: routed by labels, deduplicated by groupKey', () => {
  const { input, resolveOnly } = fromAlertmanager(alertmanagerExample, config);
  expect(resolveOnly).toBe(false);
  expect(input).toMatchObject({
    service: 'insights-app',
    scenario: 'high-memory',
    severity: 'P2',
    security: false,
    summary: 'insights-app memory above 80% of its limit',
  });
  expect(input.dedupKey).toBe(`alertmanager:${alertmanagerExample.groupKey}`);
  expect(input.alerts).toEqual([
    expect.objectContaining({ fingerprint: 'c6a1f2e0b9d84e11', status: 'firing', source: 'alertmanager' }),
  ]);
});

test('a post mixing firing and resolved alerts opens on the firing one; all resolved only signals', () => {
  const mixed = clone(alertmanagerExample);
  mixed.alerts.push({ ...mixed.alerts[0], status: 'resolved', fingerprint: 'bbbb' });
  expect(fromAlertmanager(mixed, config).resolveOnly).toBe(false);
  const resolved = clone(alertmanagerExample);
  resolved.status = 'resolved';
  resolved.alerts[0].status = 'resolved';
  expect(fromAlertmanager(resolved, config).resolveOnly).toBe(true);
});

test('Grafana unified alerting: title as summary, dashboard link kept', () => {
  const { input } = fromGrafana(grafanaExample, config);
  expect(input).toMatchObject({
    service: 'insights-app',
    scenario: 'pool-exhausted',
    severity: 'P1',
    summary: grafanaExample.title,
  });
  expect(input.alerts?.[0].url).toBe('http://127.0.0.1:3000/d/insights');
});

test('service falls back to the job label; unknown alertnames are generic health', () => {
  const am = {
    ...clone(alertmanagerExample),
    commonLabels: { alertname: 'Other' },
    alerts: [{ ...alertmanagerExample.alerts[0], labels: { alertname: 'Other', job: 'billing' } }],
  };
  expect(fromAlertmanager(am, config).input).toMatchObject({
    service: 'billing',
    scenario: 'health',
    severity: 'P2',
  });
});

test('generic alerts: defaults, explicit severity and security', () => {
  const { input } = fromGeneric(
    { service: 'checkout', summary: 'down', severity: 'critical', security: true },
    config,
  );
  expect(input).toMatchObject({
    service: 'checkout',
    severity: 'P1',
    security: true,
    dedupKey: 'generic:checkout:health',
  });
});

test("a generic key cannot be another sender's: it is namespaced, and keys of its own stay as they were", () => {
  const generic = (dedupKey: string) =>
    fromGeneric({ service: 'checkout', summary: 'low', severity: 'P3', dedupKey }, config).input.dedupKey;
  const amKey = `alertmanager:${alertmanagerExample.groupKey}`;
  expect(fromAlertmanager(alertmanagerExample, config).input.dedupKey).toBe(amKey);
  expect(generic(amKey)).toBe(`generic:${amKey}`);
  expect(incidentWorkflowId(generic(amKey))).not.toBe(incidentWorkflowId(amKey));
  expect(generic('grafana:{}/{}:{}')).toBe('generic:grafana:{}/{}:{}');
  expect(generic('declared:checkout:1')).toBe('generic:declared:checkout:1');
  // A sender's own keys, and the generic route's, are unchanged (their open incidents keep their ids).
  expect(generic('payments-db-latency')).toBe('payments-db-latency');
  expect(generic('generic:checkout:health')).toBe('generic:checkout:health');
});

test.each([
  [{ summary: 'x' }, 'service'],
  [{ service: 'a b', summary: 'x' }, 'service'],
  [{ service: 'x' }, 'summary'],
  [{ service: 'x', summary: 'y', severity: 'P9' }, 'severity'],
  [{ service: 'x', summary: 'y', labels: { a: 1 } }, 'labels.a'],
  [{ service: 'x', summary: 'y', extra: 1 }, 'extra'],
])('generic %j is rejected naming %s', (body, field) => {
  expect(rejection(() => fromGeneric(body, config))).toBe(field);
});

test('incident ids are stable and short', () => {
  expect(incidentWorkflowId('demo-1')).toBe(incidentWorkflowId('demo-1'));
  expect(incidentWorkflowId('demo-1')).toMatch(/^incident-[0-9a-f]{20}$/);
  expect(incidentWorkflowId('demo-2')).not.toBe(incidentWorkflowId('demo-1'));
});

test('a security breach or data loss (category label) is P1 and the security team’s, as the seed says; configurable', () => {
  const body = (category: string) => ({
    ...clone(alertmanagerExample),
    commonLabels: { alertname: 'X', service: 'checkout', severity: 'warning', category },
    alerts: [
      {
        ...clone(alertmanagerExample).alerts[0],
        labels: { alertname: 'X', service: 'checkout', severity: 'warning', category },
      },
    ],
  });
  for (const category of ['security', 'data-loss'])
    expect(fromAlertmanager(body(category), config).input).toMatchObject({ severity: 'P1', security: true });
  expect(fromAlertmanager(body('capacity'), config).input).toMatchObject({ severity: 'P2', security: false });
  const narrower = testConfig({ routing: { securityCategories: ['security'] } });
  expect(fromAlertmanager(body('data-loss'), narrower).input).toMatchObject({
    severity: 'P2',
    security: false,
  });
});
