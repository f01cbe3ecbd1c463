/** The status page's model: each service's state from its open incidents or a responder, updates by incident. */
import {
  overallHealth,
  publicIncidents,
  serviceStates,
  type StatusUpdate,
} from '../../../domain/status-page';

const incident = (service: string, severity: string, status = 'triggered') => ({
  id: `${service}-${severity}`,
  service,
  severity,
  status,
});

test('a P1 is a major outage, a P2 degraded; a P3 or a suppressed incident leaves the service operational', () => {
  const open = [
    incident('checkout', 'P2'),
    incident('checkout', 'P1', 'acknowledged'),
    incident('search', 'P2'),
    incident('payments', 'P3'),
    incident('login', 'P1', 'suppressed'),
  ];
  const states = serviceStates(['checkout', 'search', 'payments', 'login', 'billing'], open, []);
  expect(states.map((s) => [s.service, s.health, s.source])).toEqual([
    ['checkout', 'major_outage', 'incidents'],
    ['search', 'degraded', 'incidents'],
    ['payments', 'operational', 'incidents'],
    ['login', 'operational', 'incidents'],
    ['billing', 'operational', 'incidents'],
  ]);
  expect(overallHealth(states)).toBe('major_outage');
  expect(overallHealth(states.slice(1))).toBe('degraded');
  expect(overallHealth([])).toBe('operational');
});

test("a responder's override wins over the incidents, either way, and says who and why", () => {
  const states = serviceStates(
    ['checkout', 'search'],
    [incident('checkout', 'P1')],
    [
      { service: 'checkout', health: 'degraded', reason: 'failover took the load', setBy: 'Alice' },
      { service: 'search', health: 'major_outage', reason: null, setBy: 'Bob' },
    ],
  );
  expect(states).toEqual([
    {
      service: 'checkout',
      health: 'degraded',
      source: 'responder',
      overriddenBy: 'Alice',
      reason: 'failover took the load',
    },
    { service: 'search', health: 'major_outage', source: 'responder', overriddenBy: 'Bob', reason: null },
  ]);
});

test('updates are grouped by incident, newest incident and newest update first; title and status are the newest', () => {
  const u = (
    id: number,
    incidentId: string,
    minute: number,
    status: StatusUpdate['status'],
    title: string,
  ) => ({
    id,
    incidentId,
    service: 'checkout',
    title,
    status,
    message: `update ${id}`,
    impact: null,
    eta: null,
    nextUpdateAt: null,
    author: 'Alice',
    publishedAt: `2026-12-06T10:${String(minute).padStart(2, '0')}:00.000Z`,
  });
  const grouped = publicIncidents([
    u(1, 'a', 0, 'investigating', 'Checkout errors'),
    u(2, 'b', 5, 'investigating', 'Slow search'),
    u(3, 'a', 10, 'identified', 'Checkout errors: payment provider'),
    u(4, 'a', 10, 'monitoring', 'Checkout errors: payment provider'),
  ]);
  expect(grouped.map((i) => [i.incidentId, i.status, i.title, i.updates.map((x) => x.id)])).toEqual([
    ['a', 'monitoring', 'Checkout errors: payment provider', [4, 3, 1]],
    ['b', 'investigating', 'Slow search', [2]],
  ]);
});
