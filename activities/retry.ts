import { ApplicationFailure } from '@temporalio/activity';

/** Retry-After is seconds or an HTTP date; answers milliseconds, at least 1 s, at most 15 min. */
export function retryAfterMs(
  header: string | string[] | number | undefined,
  nowMs = Date.now(),
): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || value === '') return undefined;
  const seconds = Number(value);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(String(value)) - nowMs;
  if (!Number.isFinite(ms)) return undefined;
  return Math.min(Math.max(ms, 1000), 900_000);
}

/**
 * Maps an HTTP answer from a SaaS to Temporal's retry behaviour: 429 waits for Retry-After, 5xx and
 * network errors back off by the activity's policy, other 4xx are final.
 */
export function failureForStatus(
  system: string,
  status: number,
  retryAfter?: string | string[] | number,
): ApplicationFailure {
  if (status === 429) {
    const delay = retryAfterMs(retryAfter);
    return ApplicationFailure.create({
      message: `${system} rate limited (429)${delay ? `, retry after ${Math.round(delay / 1000)} s` : ''}`,
      type: 'RateLimited',
      nextRetryDelay: delay,
    });
  }
  if (status >= 500) return ApplicationFailure.retryable(`${system} answered ${status}`, 'ServerError');
  return ApplicationFailure.nonRetryable(`${system} rejected the request (${status})`, 'Rejected');
}
