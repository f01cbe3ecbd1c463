/** The report's arithmetic: groups, means over the incidents that have the time, pages per person. */
import { incidentReport } from '../../../cli/incident-report';
import type { IncidentStatusView } from '../../../domain/types';

const T0 = Date.parse('2026-11-02T10:00:00Z');
const iso = (minutes: number | null) =>
  minutes === null ? null : new Date(T0 + minutes * 60_000).toISOString();

function incident(
  service: string,
  severity: 'P1' | 'P2',
  ack: number | null,
  resolved: number | null,
  paged: string[][],
  status: IncidentStatusView['status'] = resolved === null ? 'triggered' : 'resolved',
): IncidentStatusView {
  return {
    service,
    severity,
    status,
    createdAt: iso(0)!,
    acknowledgedAt: iso(ack),
    resolvedAt: iso(resolved),
    paged: paged.map((contacts) => ({ contacts })),
    timeline: [],
  } as unknown as IncidentStatusView;
}

test('MTTA over acknowledged incidents, MTTR over resolved ones, per service and severity', () => {
  const report = incidentReport([
    incident('api', 'P1', 4, 30, [['Ann'], ['Ann', 'Bob']]),
    incident('api', 'P1', 10, 90, [['Ann']]),
    incident('api', 'P1', null, null, [['Bob']]),
    incident('api', 'P2', 20, null, [['Cai']]),
    incident('web', 'P1', null, null, [], 'suppressed'),
  ]);
  expect(report.rows).toEqual([
    {
      service: 'api',
      severity: 'P1',
      incidents: 3,
      acknowledged: 2,
      resolved: 2,
      suppressed: 0,
      mttaSeconds: 420,
      mttrSeconds: 3600,
    },
    {
      service: 'api',
      severity: 'P2',
      incidents: 1,
      acknowledged: 1,
      resolved: 0,
      suppressed: 0,
      mttaSeconds: 1200,
      mttrSeconds: null,
    },
    {
      service: 'web',
      severity: 'P1',
      incidents: 1,
      acknowledged: 0,
      resolved: 0,
      suppressed: 1,
      mttaSeconds: null,
      mttrSeconds: null,
    },
  ]);
  expect(report.pagesPerPerson).toEqual([
    ['Ann', 3],
    ['Bob', 2],
    ['Cai', 1],
  ]);
});
