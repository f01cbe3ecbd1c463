/**
 * Outside strings that name members of Object.prototype must never reach a lookup as a key: before the
 * fix, `severity: "constructor"` routed to a function, the workflow's search-attribute upsert failed and
 * its task retried forever before the first page.
 */
import alertmanagerExample from '../../../examples/alerts/alertmanager.json';
import grafanaExample from '../../../examples/alerts/grafana.json';
import { toIncidentPolicy } from '../../../activities/policy';
import { AlertRejected, fromAlertmanager, fromGeneric, fromGrafana } from '../../../intake/alerts';
import { normalizeIncidentInput, ownValue } from '../../../domain/policy';
import { BUILT_IN_SCENARIOS, SCENARIO_NAME, SEVERITIES } from '../../../domain/types';
import { testConfig } from '../../../scripts/testbed/config';

const config = testConfig();
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v));
const HOSTILE_KEYS = [
  'constructor',
  '__proto__',
  'toString',
  'valueOf',
  'hasOwnProperty',
  'isPrototypeOf',
  '__defineGetter__',
  'prototype',
];

function expectValidRoute(input: { severity: unknown; scenario: unknown; service: unknown }) {
  expect(SEVERITIES).toContain(input.severity);
  expect(BUILT_IN_SCENARIOS).toContain(input.scenario);
  expect(typeof input.service).toBe('string');
}

describe.each(HOSTILE_KEYS)('the key %j', (key) => {
  test('as an Alertmanager severity label, alertname and service: a valid route', () => {
    const body = clone(alertmanagerExample);
    body.alerts[0].labels = { ...body.alerts[0].labels, severity: key, alertname: key };
    body.commonLabels = { ...body.commonLabels, severity: key, alertname: key };
    const { input } = fromAlertmanager(body, config);
    expectValidRoute(input);
    expect(input.severity).toBe(config.routing.defaultSeverity);
    expect(input.scenario).toBe('health');
  });

  test('as a Grafana severity label and alertname: a valid route', () => {
    const body = clone(grafanaExample);
    body.alerts[0].labels = { ...body.alerts[0].labels, severity: key, alertname: key };
    body.commonLabels = { ...body.commonLabels, severity: key, alertname: key };
    expectValidRoute(fromGrafana(body, config).input);
  });

  test('as a generic severity: refused naming the field; as a label: a valid route', () => {
    let field = '';
    try {
      fromGeneric({ service: 'checkout', summary: 's', severity: key }, config);
    } catch (err) {
      field = (err as AlertRejected).field;
    }
    expect(field).toBe('severity');
    const { input } = fromGeneric(
      { service: 'checkout', summary: 's', labels: { severity: key, alertname: key } },
      config,
    );
    expectValidRoute(input);
  });

  test('as a service or contact name: no inherited configuration', () => {
    const policy = toIncidentPolicy(config, key);
    expect(policy.runbook).toBeNull();
    expect(policy.service).toEqual({ customerFacing: false, healthUrls: [], dryRun: false });
    expect(ownValue(config.contacts, key)).toBeUndefined();
  });

  test('as a workflow start input: pages as P1 with the generic runbook, and says why', () => {
    const { input, problems } = normalizeIncidentInput({
      dedupKey: 'k',
      service: 'checkout',
      scenario: key,
      severity: key,
      summary: 'x',
      security: false,
    });
    // A key shaped like a scenario name stays a name (no runbook has it: the incident runs the health
    // runbook and says so when it starts one); any other is replaced here.
    const named = SCENARIO_NAME.test(key);
    expect(input).toMatchObject({ severity: 'P1', scenario: named ? key : 'health', service: 'checkout' });
    expect(problems).toEqual([
      expect.stringContaining('is not P1, P2 or P3: paging as P1'),
      ...(named ? [] : [expect.stringContaining('is not a scenario name: using "health"')]),
    ]);
  });
});

test('a start input with no usable fields at all still yields something to page', () => {
  const { input, problems } = normalizeIncidentInput({
    severity: 3,
    service: {},
    alerts: [{ nope: 1 }],
  } as never);
  expect(input).toMatchObject({ severity: 'P1', scenario: 'health', service: 'unknown-service', alerts: [] });
  expect(problems.length).toBeGreaterThanOrEqual(4);
});

test('ownValue answers own values only', () => {
  const record = { critical: 'P1' } as Record<string, string>;
  expect(ownValue(record, 'critical')).toBe('P1');
  for (const key of HOSTILE_KEYS) expect(ownValue(record, key)).toBeUndefined();
  expect(ownValue(record, undefined)).toBeUndefined();
});
