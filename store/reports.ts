/**
 * Reports over time for the console: response times and incident counts per week, and the on-call load
 * (pages per person, and how many came out of hours in a given time zone: before 09:00, from 17:00, or at a
 * weekend).
 */
import type { Queryable } from './sql-client';

export interface WeeklyResponseTimes {
  /** Monday of the week (ISO week, UTC), as a date. */
  week: string;
  incidents: number;
  acknowledged: number;
  resolved: number;
  mttaSeconds: number | null;
  mttrSeconds: number | null;
}

export interface OnCallLoad {
  /** Who was paged, as the page named them. */
  contact: string;
  pages: number;
  outOfHours: number;
}

/** How many incidents, acknowledged and resolved, and their mean seconds to each: SQL over a group. */
export const RESPONSE_AGGREGATES = `count(*)::integer AS incidents,
  count(acknowledged_at)::integer AS acknowledged, count(resolved_at)::integer AS resolved,
  avg(extract(epoch FROM acknowledged_at - created_at))::float8 AS mtta,
  avg(extract(epoch FROM resolved_at - created_at))::float8 AS mttr`;

export interface AggregateRow {
  incidents: number;
  acknowledged: number;
  resolved: number;
  mtta: number | null;
  mttr: number | null;
}

const rounded = (v: number | null) => (v === null ? null : Math.round(v * 10) / 10);

/** An aggregate row as the API gives it: seconds to a tenth. */
export const responseFields = (r: AggregateRow) => ({
  incidents: r.incidents,
  acknowledged: r.acknowledged,
  resolved: r.resolved,
  mttaSeconds: rounded(r.mtta),
  mttrSeconds: rounded(r.mttr),
});

export async function weeklyResponseTimes(
  db: Queryable,
  since: string,
  filter: { service?: string; severity?: string } = {},
): Promise<WeeklyResponseTimes[]> {
  const params: unknown[] = [since];
  const where = ['created_at >= $1'];
  for (const [column, value] of [
    ['service', filter.service],
    ['severity', filter.severity],
  ] as const)
    if (value) {
      params.push(value);
      where.push(`${column} = $${params.length}`);
    }
  const { rows } = await db.query<AggregateRow & { week: string }>(
    `SELECT to_char(date_trunc('week', created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS week, ${RESPONSE_AGGREGATES}
     FROM incidents WHERE ${where.join(' AND ')} GROUP BY 1 ORDER BY 1`,
    params,
  );
  return rows.map((r) => ({ week: r.week, ...responseFields(r) }));
}

/** Pages per person since then; `timeZone` (IANA) decides what "out of hours" is. */
export async function onCallLoad(db: Queryable, since: string, timeZone: string): Promise<OnCallLoad[]> {
  const { rows } = await db.query<{ contact: string; pages: number; out_of_hours: number }>(
    `SELECT c AS contact, count(*)::integer AS pages,
       count(*) FILTER (WHERE extract(isodow FROM n.at AT TIME ZONE $2) > 5
         OR extract(hour FROM n.at AT TIME ZONE $2) NOT BETWEEN 9 AND 16)::integer AS out_of_hours
     FROM notifications n, unnest(n.contacts) c
     WHERE n.channel = 'page' AND n.at >= $1
     GROUP BY c ORDER BY pages DESC, c`,
    [since, timeZone],
  );
  return rows.map((r) => ({ contact: r.contact, pages: r.pages, outOfHours: r.out_of_hours }));
}
