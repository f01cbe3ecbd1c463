import { parseDuration } from '../../../config/duration';
import { httpError } from '../../http';

/** `since`: a duration back from now (`30d`, `12h`) or an ISO time; anything else is a 422 naming it. */
export function sinceInstant(text: string, now = Date.now()): string {
  const ms = parseDuration(text);
  if (ms !== undefined) return new Date(now - ms).toISOString();
  if (/^\d{4}-\d{2}-\d{2}/.test(text) && !Number.isNaN(Date.parse(text))) return new Date(text).toISOString();
  throw httpError(422, `since: a duration like 30d or an ISO time, not ${JSON.stringify(text.slice(0, 50))}`);
}
