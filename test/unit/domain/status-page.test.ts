/** The status page's model: each service's state from its open incidents or a responder, updates by incident. */
import {
  automaticStatusMessage,
  firstMessages,
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

test('an open incident nobody wrote about shows the first message; a P3, a suppressed or a written one does not', () => {
  const open = [
    { ...incident('checkout', 'P1'), createdAt: '2026-12-06T10:00:00.000Z' },
    { ...incident('search', 'P3'), createdAt: '2026-12-06T10:00:00.000Z' },
    { ...incident('login', 'P2', 'suppressed'), createdAt: '2026-12-06T10:00:00.000Z' },
    { ...incident('billing', 'P2'), createdAt: '2026-12-06T10:05:00.000Z' },
  ];
  const written = [{ incidentId: 'billing-P2' } as StatusUpdate];
  expect(firstMessages(open, written, 'Errors on {service}; {service} team on it.')).toEqual([
    {
      id: 0,
      incidentId: 'checkout-P1',
      service: 'checkout',
      title: 'checkout: service disruption',
      status: 'investigating',
      message: 'Errors on checkout; checkout team on it.',
      impact: null,
      eta: null,
      nextUpdateAt: null,
      author: 'automatic',
      publishedAt: '2026-12-06T10:00:00.000Z',
      automatic: true,
    },
  ]);
});

test("the automatic messages name the service and the phase, nothing of the alert's", () => {
  expect(
    ['investigating', 'returned', 'monitoring', 'resolved'].map((p) =>
      automaticStatusMessage(p as never, 'checkout'),
    ),
  ).toEqual([
    'We are investigating an issue affecting checkout. Next update within 30 minutes.',
    'The issue affecting checkout has returned. We are investigating.',
    'A fix has been applied to checkout and we are monitoring the results.',
    'The issue affecting checkout has been resolved.',
  ]);
});
