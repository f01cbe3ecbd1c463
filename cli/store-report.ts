import { formatElapsed } from '../domain/policy';
import { responseTimes } from '../store';
import { EXIT } from './exit-codes';
import { openCliStore } from './store';
import { jsonText, table } from './support';

/**
 * `report --store`: response times from the system of record, which keeps incidents after Temporal's
 * retention has removed their runs (a quarter, a year); pages per person stay with the Temporal report.
 */
export async function storeReport(
  from: string,
  json: boolean,
  out: (s: string) => void,
  err: (s: string) => void,
) {
  const opened = await openCliStore(process.env, err);
  if (!opened) return EXIT.unreachable;
  try {
    const rows = await responseTimes(opened.db, from);
    if (json) {
      out(jsonText({ since: from, store: opened.shown, responseTimes: rows }));
      return EXIT.ok;
    }
    const seconds = (s: number | null) => (s === null ? '-' : formatElapsed(s * 1000));
    out(
      `${rows.reduce((n, r) => n + r.incidents, 0)} incidents since ${from} in the store (${opened.shown})`,
    );
    out(
      table(
        [
          ['service', 'severity', 'incidents', 'acknowledged', 'resolved', 'MTTA', 'MTTR'],
          ...rows.map((r) => [
            r.service,
            r.severity,
            String(r.incidents),
            String(r.acknowledged),
            String(r.resolved),
            seconds(r.mttaSeconds),
            seconds(r.mttrSeconds),
          ]),
        ],
        100,
      ),
    );
    return EXIT.ok;
  } finally {
    await opened.db.close();
  }
}
