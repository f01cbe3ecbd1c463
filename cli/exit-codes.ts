/** One table of exit codes for every `durable-runbooks` command, so scripts can branch on them. */
export const EXIT = {
  /** Done. */
  ok: 0,
  /** Refused: the incident or schedule said no, a definition is invalid, a rehearsal went otherwise. */
  refused: 1,
  /** Usage: an unknown command or flag, a missing or malformed argument. */
  usage: 2,
  /** Unreachable: Temporal (or the test server `runbook test` needs) cannot be reached. */
  unreachable: 3,
  /** Not found: no such incident, override or maintenance window. */
  notFound: 4,
  /** Timed out: the incident did not answer within INCIDENT_TIMEOUT_SECONDS (its workflow may be stuck). */
  timedOut: 5,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export const EXIT_CODES_HELP =
  'exit codes: 0 done, 1 refused (the reason is printed), 2 usage, 3 unreachable (Temporal, the store), 4 not found, 5 timed out';
