/**
 * The CLI through the API: with `DURABLE_RUNBOOKS_API` (its URL, e.g. http://127.0.0.1:8089) and
 * `DURABLE_RUNBOOKS_TOKEN` (the person's token) set, `incident ack|resolve|escalate|note|severity|approve|reject`
 * and `declare` go to the API instead of Temporal, so that the person acts as themselves (their token, not
 * `--by`) under the responder and approver rules. The API's answers map onto the CLI's exit codes.
 */
import { EXIT } from './exit-codes';

export interface ApiTarget {
  url: string;
  token: string;
}

/** The API to act through, or null to speak to Temporal directly; an incomplete setting is a mistake to say. */
export function apiTarget(env: NodeJS.ProcessEnv): ApiTarget | null | string {
  const url = env.DURABLE_RUNBOOKS_API?.trim();
  const token = env.DURABLE_RUNBOOKS_TOKEN?.trim();
  if (!url && !token) return null;
  if (!url || !token)
    return 'DURABLE_RUNBOOKS_API and DURABLE_RUNBOOKS_TOKEN go together: set both to act through the API, or neither';
  if (!/^https?:\/\//.test(url)) return `DURABLE_RUNBOOKS_API: an http(s) URL, not ${JSON.stringify(url)}`;
  return { url: url.replace(/\/+$/, ''), token };
}

/** The CLI's words → the API's action and body. */
export function apiCommand(command: string, rest: string[]): [string, Record<string, string | number>] {
  const words = rest.join(' ');
  switch (command) {
    case 'ack':
      return ['acknowledge', {}];
    case 'resolve':
      return ['resolve', words ? { summary: words } : {}];
    case 'escalate':
      return ['escalate', words ? { reason: words } : {}];
    case 'severity':
      return ['severity', { severity: (rest[0] ?? '').toUpperCase() }];
    case 'approve':
      return ['approve', { step: rest[0] ?? '' }];
    case 'reject':
      return [
        'reject',
        { step: rest[0] ?? '', ...(rest.length > 1 ? { reason: rest.slice(1).join(' ') } : {}) },
      ];
    case 'snooze':
      return ['snooze', { minutes: Number(rest[0]) }];
    case 'reassign':
      return ['reassign', { team: rest[0] ?? '' }];
    case 'merge':
      return ['merge', { into: rest[0] ?? '' }];
    case 'role':
      return ['role', { role: rest[0] ?? '', person: rest.slice(1).join(' ') }];
    default:
      return ['note', { text: words }];
  }
}

const EXIT_BY_STATUS: Record<number, number> = {
  401: EXIT.refused,
  403: EXIT.refused,
  404: EXIT.notFound,
  409: EXIT.refused,
  422: EXIT.usage,
  503: EXIT.unreachable,
  504: EXIT.timedOut,
};

/** POSTs to the API as the token's person; answers the exit code, having said what happened. */
export function postAsPerson(
  target: ApiTarget,
  path: string,
  body: Record<string, string | number>,
  timeoutMs: number,
  err: (s: string) => void,
): Promise<{ code: number; answer?: Record<string, string> }> {
  return callAsPerson(target, path, body, timeoutMs, err);
}

/** GETs from the API as the token's person; answers the exit code, having said what went wrong. */
export function getAsPerson<T>(
  target: ApiTarget,
  path: string,
  timeoutMs: number,
  err: (s: string) => void,
): Promise<{ code: number; answer?: T }> {
  return callAsPerson(target, path, undefined, timeoutMs, err);
}

async function callAsPerson<T>(
  target: ApiTarget,
  path: string,
  body: Record<string, string | number> | undefined,
  timeoutMs: number,
  err: (s: string) => void,
): Promise<{ code: number; answer?: T }> {
  const res = await requestApi<T>(target.url, path, { token: target.token, body, timeoutMs });
  if ('unreachable' in res) {
    err(`the API at ${target.url} could not be reached: ${res.unreachable}`);
    return { code: EXIT.unreachable };
  }
  if (res.ok) return { code: EXIT.ok, answer: res.answer };
  err(`the API answered ${res.status}: ${res.answer.error ?? res.statusText}`);
  return { code: EXIT_BY_STATUS[res.status] ?? EXIT.unreachable };
}

/**
 * One request to the API at `url` (as the token's person when there is one; a POST when there is a body):
 * its status and JSON answer (`{}` when it is not JSON), or why no answer came.
 */
export async function requestApi<T>(
  url: string,
  path: string,
  opts: { token?: string; body?: Record<string, string | number>; timeoutMs: number },
): Promise<
  | { ok: boolean; status: number; statusText: string; answer: T & { error?: string } }
  | { unreachable: string }
> {
  let res: Response;
  try {
    res = await fetch(`${url}/api/v1${path}`, {
      method: opts.body ? 'POST' : 'GET',
      headers: {
        ...(opts.token && { authorization: `Bearer ${opts.token}` }),
        ...(opts.body && { 'content-type': 'application/json' }),
      },
      ...(opts.body && { body: JSON.stringify(opts.body) }),
      signal: AbortSignal.timeout(opts.timeoutMs),
    });
  } catch (e) {
    return { unreachable: (e as Error).message };
  }
  const answer = (await res.json().catch(() => ({}))) as T & { error?: string };
  return { ok: res.ok, status: res.status, statusText: res.statusText, answer };
}
