/**
 * Where PagerDuty shows an incident we paged: its REST API's List Incidents by `incident_key` (our page's
 * dedup key) answers the incident's `html_url`. The Events API that pages answers no incident or URL, so this
 * needs a read-only REST API token (`pagerduty.apiTokenEnv`); without one nothing is asked. Read by the API
 * for the console's links; a failure is a missing link, never an error, and the token is in no answer.
 */
import { readSecret, redact, type Env } from './secrets';

export interface PagerDutyIncidentLink {
  dedupKey: string;
  /** The incident in PagerDuty's web app. */
  url: string;
  status: string;
}

export interface PagerDutyLookup {
  restUrl: string;
  apiTokenEnv: string;
  env: Env;
  timeoutMs: number;
}

/** The PagerDuty incidents our pages opened, one per dedup key found; null when no token is configured. */
export async function pagerDutyIncidents(
  lookup: PagerDutyLookup,
  dedupKeys: string[],
): Promise<{ links: PagerDutyIncidentLink[]; failures: string[] } | null> {
  const token = readSecret(lookup.env, lookup.apiTokenEnv);
  if (!token) return null;
  const links: PagerDutyIncidentLink[] = [];
  const failures: string[] = [];
  await Promise.all(
    dedupKeys.map(async (dedupKey) => {
      try {
        const found = await incidentOfKey(lookup, token, dedupKey);
        if (found) links.push(found);
      } catch (err) {
        failures.push(redact(`${dedupKey}: ${(err as Error).message}`, [token]));
      }
    }),
  );
  links.sort((a, b) => dedupKeys.indexOf(a.dedupKey) - dedupKeys.indexOf(b.dedupKey));
  return { links, failures };
}

async function incidentOfKey(
  lookup: PagerDutyLookup,
  token: string,
  dedupKey: string,
): Promise<PagerDutyIncidentLink | null> {
  const url = new URL(`${lookup.restUrl.replace(/\/$/, '')}/incidents`);
  url.searchParams.set('incident_key', dedupKey);
  url.searchParams.set('date_range', 'all');
  const res = await fetch(url, {
    headers: {
      accept: 'application/vnd.pagerduty+json;version=2',
      authorization: `Token token=${token}`,
    },
    signal: AbortSignal.timeout(lookup.timeoutMs),
  });
  if (!res.ok) throw new Error(`PagerDuty answered HTTP ${res.status}`);
  const body = (await res.json()) as { incidents?: Array<{ html_url?: unknown; status?: unknown }> };
  const incident = body.incidents?.find((i) => typeof i.html_url === 'string');
  const link = typeof incident?.html_url === 'string' ? incident.html_url : '';
  // Only a web link becomes a link: anything else PagerDuty (or a look-alike) answers is dropped.
  if (!/^https?:\/\//i.test(link)) return null;
  return { dedupKey, url: link, status: typeof incident?.status === 'string' ? incident.status : 'unknown' };
}
