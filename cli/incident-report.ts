/**
 * `npm run incident -- report`: counts, MTTA and MTTR per service and severity, and pages per person (on-call
 * load), from incidents' own status. Pure: the CLI gathers the views from Temporal and passes them in.
 */
import { RESOLVED_IN_MAINTENANCE } from '../workflows/incident/state';
import { formatElapsed } from '../domain/policy';
import type { IncidentStatusView } from '../domain/types';

export interface ReportRow {
  service: string;
  severity: string;
  incidents: number;
  acknowledged: number;
  resolved: number;
  suppressed: number;
  /** Mean seconds from opening to acknowledgement, over acknowledged incidents; null: none. */
  mttaSeconds: number | null;
  /** Mean seconds from opening to resolution, over resolved incidents; null: none. */
  mttrSeconds: number | null;
}

export interface IncidentReport {
  rows: ReportRow[];
  /** Pages per person (contact name), most paged first. */
  pagesPerPerson: [string, number][];
}

const mean = (values: number[]) => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : null);
const since = (view: IncidentStatusView, iso: string | null) =>
  iso === null ? null : (Date.parse(iso) - Date.parse(view.createdAt)) / 1000;

export function incidentReport(views: readonly IncidentStatusView[]): IncidentReport {
  const groups = new Map<string, IncidentStatusView[]>();
  const pages = new Map<string, number>();
  for (const view of views) {
    const key = JSON.stringify([view.service, view.severity]);
    groups.set(key, [...(groups.get(key) ?? []), view]);
    for (const page of view.paged)
      for (const person of page.contacts) pages.set(person, (pages.get(person) ?? 0) + 1);
  }
  const rows = [...groups.entries()].map(([key, group]): ReportRow => {
    const [service, severity] = JSON.parse(key) as [string, string];
    const ack = group.map((v) => since(v, v.acknowledgedAt)).filter((s): s is number => s !== null);
    const resolved = group.filter((v) => v.status === 'resolved');
    const resolve = resolved.map((v) => since(v, v.resolvedAt)).filter((s): s is number => s !== null);
    return {
      service,
      severity,
      incidents: group.length,
      acknowledged: ack.length,
      resolved: resolved.length,
      suppressed: group.filter(
        (v) =>
          v.status === 'suppressed' ||
          v.timeline.some((e) => e.type === 'resolved' && e.message.startsWith(RESOLVED_IN_MAINTENANCE)),
      ).length,
      mttaSeconds: mean(ack),
      mttrSeconds: mean(resolve),
    };
  });
  rows.sort((a, b) => a.service.localeCompare(b.service) || a.severity.localeCompare(b.severity));
  return {
    rows,
    pagesPerPerson: [...pages.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])),
  };
}

/** The report as the terminal shows it. */
export function reportTables(report: IncidentReport): string[][][] {
  const time = (s: number | null) => (s === null ? '-' : formatElapsed(s * 1000));
  return [
    [
      ['SERVICE', 'SEV', 'INCIDENTS', 'ACKED', 'RESOLVED', 'SUPPRESSED', 'MTTA', 'MTTR'],
      ...report.rows.map((r) => [
        r.service,
        r.severity,
        String(r.incidents),
        String(r.acknowledged),
        String(r.resolved),
        String(r.suppressed),
        time(r.mttaSeconds),
        time(r.mttrSeconds),
      ]),
    ],
    [['PERSON', 'PAGES'], ...report.pagesPerPerson.map(([person, n]) => [person, String(n)])],
  ];
}
