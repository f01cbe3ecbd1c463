import {
  allAlertsResolved,
  classifySeverity,
  earliest,
  escalationReason,
  escalationStep,
  formatElapsed,
  mergeAlerts,
  parseSeverity,
  whyIgnored,
} from '../../../domain/policy';
import type { SourceAlert } from '../../../domain/types';

const byLabel = { critical: 'P1', warning: 'P2', info: 'P3' } as const;

describe('severity', () => {
  test.each([
    [{ label: 'critical' }, 'P1'],
    [{ label: 'WARNING' }, 'P2'],
    [{ label: 'info' }, 'P3'],
    [{ label: 'p1' }, 'P1'],
    [{ explicit: 'P3', label: 'critical' }, 'P3'],
    [{ label: 'unheard-of' }, 'P2'],
    [{}, 'P2'],
    [{ label: 'info', serviceOverride: 'P1' as const }, 'P1'],
  ])('%j → %s', (opts, expected) => {
    expect(classifySeverity({ severityByLabel: byLabel, defaultSeverity: 'P2', ...opts })).toBe(expected);
  });
  test('parseSeverity accepts P1–P3 only', () => {
    expect(parseSeverity(' p2 ')).toBe('P2');
    expect(parseSeverity('P4')).toBeUndefined();
    expect(parseSeverity(1)).toBeUndefined();
  });
});

describe('escalation ladder', () => {
  test('walks the levels, repeats the ladder, then stops', () => {
    const steps = Array.from({ length: 9 }, (_, i) => escalationStep(4, 1, i));
    expect(steps.slice(0, 8).map((s) => s && `${s.round}:${s.level}`)).toEqual([
      '0:0',
      '0:1',
      '0:2',
      '0:3',
      '1:0',
      '1:1',
      '1:2',
      '1:3',
    ]);
    expect(steps[8]).toBeNull();
    expect(escalationStep(4, 0, 4)).toBeNull();
    expect(escalationStep(0, 3, 0)).toBeNull();
  });
  test('reasons name the wait and the level', () => {
    expect(escalationReason(0, 'primary on-call', 900_000, 0)).toBe(
      'new incident: notifying primary on-call',
    );
    expect(escalationReason(1, 'secondary on-call', 900_000, 0)).toBe(
      'no acknowledgement within 15:00: escalating to secondary on-call',
    );
    expect(escalationReason(4, 'primary on-call', 3_600_000, 1)).toBe(
      'no acknowledgement within 1:00:00: ladder repeat 1, paging primary on-call',
    );
  });
});

describe('which signals make sense', () => {
  test.each([
    ['acknowledge', 'triggered', null],
    ['acknowledge', 'acknowledged', 'incident is already acknowledged'],
    ['acknowledge', 'resolved', 'incident is already resolved'],
    ['resolve', 'acknowledged', null],
    ['resolve', 'monitoring', 'resolution is already being verified'],
    ['escalate', 'acknowledged', null],
    ['escalate', 'monitoring', 'incident is being monitored after resolve'],
    ['setSeverity', 'monitoring', null],
  ] as const)('%s while %s → %s', (action, status, expected) => {
    expect(whyIgnored(action, status)).toBe(expected);
  });
});

describe('source alerts', () => {
  const alert = (fingerprint: string, status: 'firing' | 'resolved'): SourceAlert => ({
    fingerprint,
    status,
    summary: fingerprint,
    labels: {},
    source: 'alertmanager',
  });
  test('new, repeat, resolved and refired are told apart', () => {
    const first = mergeAlerts([], [alert('a', 'firing'), alert('b', 'firing')]);
    expect(first.changes.map((c) => c.change)).toEqual(['new', 'new']);
    const second = mergeAlerts(first.alerts, [alert('a', 'firing'), alert('b', 'resolved')]);
    expect(second.changes.map((c) => c.change)).toEqual(['repeat', 'resolved']);
    expect(allAlertsResolved(second.alerts)).toBe(false);
    const third = mergeAlerts(second.alerts, [alert('a', 'resolved'), alert('b', 'firing')]);
    expect(third.changes.map((c) => c.change)).toEqual(['resolved', 'refired']);
    const fourth = mergeAlerts(third.alerts, [alert('b', 'resolved')]);
    expect(allAlertsResolved(fourth.alerts)).toBe(true);
    expect(allAlertsResolved([])).toBe(false);
  });
});

test('elapsed times and deadlines', () => {
  expect(formatElapsed(0)).toBe('0:00');
  expect(formatElapsed(900_999)).toBe('15:00');
  expect(formatElapsed(3_600_000)).toBe('1:00:00');
  expect(formatElapsed(-5)).toBe('0:00');
  expect(earliest(null, 5, undefined, 3)).toBe(3);
  expect(earliest(null)).toBeNull();
});
