import { formatElapsed } from '../domain/policy';
import { responseTimes, type ResponseTimes } from '../store';
import { localApiUrl } from '../config/api-address';
import { getAsPerson, requestApi, type ApiTarget } from './api-client';
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
    printResponseTimes(from, opened.shown, await responseTimes(opened.db, from), json, out);
    return EXIT.ok;
  } finally {
    await opened.db.close();
  }
}

/** The same report through the API (`DURABLE_RUNBOOKS_API`), which holds the store. */
export async function apiReport(
  api: ApiTarget,
  from: string,
  json: boolean,
  timeoutMs: number,
  out: (s: string) => void,
  err: (s: string) => void,
) {
  const { code, answer } = await getAsPerson<{ rows: ResponseTimes[] }>(
    api,
    responseTimesPath(from),
    timeoutMs,
    err,
  );
  if (code !== EXIT.ok || !answer) return code;
  printResponseTimes(from, `through the API at ${api.url}`, answer.rows, json, out);
  return EXIT.ok;
}

/**
 * The same report from this machine's own API (`npm start` runs it on loopback, where it answers without a
 * token until someone has one). Null when it answered; else why not, for the caller to say.
 */
export async function localApiReport(
  env: NodeJS.ProcessEnv,
  from: string,
  json: boolean,
  out: (s: string) => void,
): Promise<string | null> {
  const url = localApiUrl(env);
  const res = await requestApi<{ rows: ResponseTimes[] }>(url, responseTimesPath(from), { timeoutMs: 3000 });
  if ('unreachable' in res) return `no API answers at ${url}`;
  if (!res.ok || !Array.isArray(res.answer.rows)) return `the API at ${url} answered ${res.status}`;
  printResponseTimes(from, `through the API at ${url}`, res.answer.rows, json, out);
  return null;
}

const responseTimesPath = (from: string) => `/reports/response-times?since=${encodeURIComponent(from)}`;

function printResponseTimes(
  from: string,
  /** Which store (or the API that holds it). */
  store: string,
  rows: ResponseTimes[],
  json: boolean,
  out: (s: string) => void,
) {
  if (json) {
    out(jsonText({ since: from, store, responseTimes: rows }));
    return;
  }
  const seconds = (s: number | null) => (s === null ? '-' : formatElapsed(s * 1000));
  out(`${rows.reduce((n, r) => n + r.incidents, 0)} incidents since ${from} in the store (${store})`);
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
}
