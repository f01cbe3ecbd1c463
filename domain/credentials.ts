/**
 * Credentials that a target's own output can carry into what we show people: a log line with a connection
 * string, a health URL with a password in it, a header that was printed. Evidence goes to the timeline, Slack,
 * the review, the store and workflow history, so it is cleaned where it is made (`activities/probes.ts`,
 * `activities/health.ts`). The secrets of our own configuration are removed by value where they are used
 * (`activities/secrets.ts`); these are the ones we cannot know by value. Pure: workflows may call it too.
 */

const HIDDEN = '[redacted]';

/** `scheme://user:password@host` and `scheme://token@host`: the whole userinfo goes. */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]{0,30}:\/\/)[^\s/@'"<>]+@/gi;
/** A printed `Authorization` header's value, whatever its scheme. */
const AUTH_HEADER = /\b(authorization["']?\s*[:=]\s*["']?)(?:(bearer|basic|token|digest)\s+)?[^\s"',;]+/gi;
/** A bare `Bearer …` (a command line, a stack trace): a value with a digit or a symbol, not a word of prose. */
const BEARER = /\b(bearer\s+)(?=[A-Za-z0-9._~+/=-]*[0-9._~+/=-])[A-Za-z0-9._~+/=-]{8,}/gi;
/**
 * `password=…`, `password: …`, `"password":"…"`, `PGPASSWORD=…`, `api_key=…`, `secret=…`, `access_token=…`:
 * the value after a key whose name ends in a secret word. The match starts at that word (`PG` in `PGPASSWORD`
 * stays outside it), so a long line costs one pass.
 */
const SECRET_ASSIGNMENT =
  /((?:password|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|credentials?)["']?\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s,;&'"]+)/gi;
/** Token formats that are secret whatever surrounds them: Slack, GitHub, AWS access key ids, JWTs. */
const KNOWN_TOKENS =
  /\b(?:xox[abposr]-[A-Za-z0-9-]{10,}|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|AKIA[0-9A-Z]{16}|eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})\b/g;

/** The text with every credential this module recognises replaced by `[redacted]`. */
export function redactCredentials(text: string): string {
  return text
    .replace(URL_USERINFO, `$1${HIDDEN}@`)
    .replace(KNOWN_TOKENS, HIDDEN)
    .replace(
      AUTH_HEADER,
      (_m, key: string, scheme?: string) => `${key}${scheme ? `${scheme} ` : ''}${HIDDEN}`,
    )
    .replace(BEARER, `$1${HIDDEN}`)
    .replace(SECRET_ASSIGNMENT, (_m, key: string, value: string) =>
      value.startsWith('"')
        ? `${key}"${HIDDEN}"`
        : value.startsWith("'")
          ? `${key}'${HIDDEN}'`
          : `${key}${HIDDEN}`,
    );
}

/** Every string inside a value (facts, evidence, messages) cleaned; numbers, booleans and nulls kept. */
export function redactDeep<T>(value: T): T {
  if (typeof value === 'string') return redactCredentials(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v)) as T;
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v)])) as T;
  return value;
}
