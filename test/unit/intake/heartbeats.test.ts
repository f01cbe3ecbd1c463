/** Heartbeat alerts taken out of a post: which heartbeat a Watchdog beats, and what is left to dispatch. */
import { fromAlertmanager } from '../../../intake/alerts';
import { heartbeatOfAlert, splitHeartbeats } from '../../../intake/heartbeats';
import { ConfigError, parseConfig } from '../../../config';
import { rawTestConfig, testConfig } from '../../../scripts/testbed/config';

const config = testConfig({
  heartbeats: {
    'alertmanager-prod': { interval: '5m', service: 'monitoring' },
    pipeline: { interval: '1h', grace: '10m', service: 'etl', severity: 'P3' },
  },
});

/** Alertmanager's webhook body for kube-prometheus's Watchdog rule, beside one real alert when asked. */
function watchdogBody(extra: Record<string, unknown>[] = []) {
  const watchdog = {
    status: 'firing',
    labels: {
      alertname: 'Watchdog',
      namespace: 'monitoring',
      prometheus: 'monitoring/k8s',
      severity: 'none',
    },
    annotations: {
      description: 'This is an alert meant to ensure that the entire alerting pipeline is functional.',
      summary: 'An alert that should always be firing to certify that Alertmanager is working properly.',
    },
    startsAt: '2026-12-07T05:00:00Z',
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus-k8s-0:9090/graph?g0.expr=vector%281%29',
    fingerprint: 'e54b3c14d8fb2a0b',
  };
  return {
    version: '4',
    groupKey: '{}:{namespace="monitoring"}',
    truncatedAlerts: 0,
    status: 'firing',
    receiver: 'durable-runbooks',
    groupLabels: { namespace: 'monitoring' },
    commonLabels: { namespace: 'monitoring' },
    commonAnnotations: {},
    externalURL: 'http://alertmanager-main-0:9093',
    alerts: [watchdog as Record<string, unknown>, ...extra],
  };
}

test('the kube-prometheus Watchdog beats the heartbeat of its namespace and opens nothing', () => {
  const split = splitHeartbeats(config, fromAlertmanager(watchdogBody(), config));
  expect(split).toEqual({ beats: ['alertmanager-prod'], unmatched: [], rest: null });
});

test('beside a real alert of the group, the Watchdog is taken out and the real one is dispatched', () => {
  const real = {
    status: 'firing',
    labels: { alertname: 'KubePodCrashLooping', namespace: 'monitoring', severity: 'warning' },
    annotations: { summary: 'Pod is crash looping.' },
    startsAt: '2026-12-07T05:00:00Z',
    endsAt: '0001-01-01T00:00:00Z',
    fingerprint: 'a1',
  };
  const split = splitHeartbeats(config, fromAlertmanager(watchdogBody([real]), config));
  expect(split.beats).toEqual(['alertmanager-prod']);
  expect(split.rest?.input.alerts?.map((a) => a.labels.alertname)).toEqual(['KubePodCrashLooping']);
});

test('a resolved Watchdog is no beat; one with no heartbeat is named; an alert without the alertname is not one', () => {
  const resolved = watchdogBody();
  resolved.alerts[0] = { ...resolved.alerts[0], status: 'resolved' };
  expect(splitHeartbeats(config, fromAlertmanager(resolved, config))).toMatchObject({
    beats: [],
    rest: null,
  });
  const none = splitHeartbeats(testConfig(), fromAlertmanager(watchdogBody(), testConfig()));
  expect(none).toEqual({ beats: [], unmatched: ['Watchdog'], rest: null });
  const other = testConfig({ routing: { heartbeatAlertnames: ['DeadMansSwitch'] } });
  expect(splitHeartbeats(other, fromAlertmanager(watchdogBody(), other)).rest).not.toBeNull();
});

test('a heartbeat label names the heartbeat; else one named as the service; else one for the service', () => {
  const alert = (labels: Record<string, string>) => ({
    fingerprint: 'f',
    status: 'firing' as const,
    summary: 's',
    labels: { alertname: 'Watchdog', ...labels },
    source: 'alertmanager' as const,
  });
  expect(heartbeatOfAlert(config, alert({ heartbeat: 'pipeline' }), 'monitoring')).toBe('pipeline');
  expect(heartbeatOfAlert(config, alert({ heartbeat: 'constructor' }), 'etl')).toBe('pipeline');
  expect(heartbeatOfAlert(config, alert({}), 'alertmanager-prod')).toBe('alertmanager-prod');
  expect(heartbeatOfAlert(config, alert({}), 'nothing')).toBeUndefined();
});

test('heartbeat settings are validated at start-up, naming the path', () => {
  const refuse = (heartbeats: object) => {
    try {
      parseConfig(rawTestConfig({ heartbeats }), 'hb.json');
    } catch (err) {
      return (err as ConfigError).key;
    }
    return 'accepted';
  };
  expect(refuse({ 'Bad Name': { interval: '5m', service: 's' } })).toBe('heartbeats.Bad Name');
  expect(refuse({ ok: { interval: 'soon', service: 's' } })).toBe('heartbeats.ok.interval');
  expect(refuse({ ok: { interval: '5m' } })).toBe('heartbeats.ok.service');
  expect(config.heartbeats.pipeline).toEqual({
    interval: 3_600_000,
    grace: 600_000,
    service: 'etl',
    severity: 'P3',
  });
  expect(config.routing.heartbeatAlertnames).toEqual(['Watchdog']);
});
