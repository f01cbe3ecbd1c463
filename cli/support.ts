/** What the responder CLIs (`incident`, `oncall`) share: reaching Temporal, printing tables. */
import { Client, Connection, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { EXIT } from './exit-codes';
import { clientConnectionOptions, temporalTarget } from '../config/temporal-client';
import { terminalText } from '../domain/text';

/**
 * Connects to Temporal by the SDK's environment configuration (default the dev server), or says why not
 * and answers undefined.
 */
export async function connectOrSay(err: (s: string) => void): Promise<Connection | undefined> {
  const temporal = temporalTarget();
  try {
    return await Connection.connect({ ...clientConnectionOptions(temporal), connectTimeout: 3000 });
  } catch (e) {
    err(
      `cannot reach Temporal at ${temporal.description}: ${terminalText((e as Error).message, 300)} (set TEMPORAL_ADDRESS and TEMPORAL_TLS_* or TEMPORAL_PROFILE, or run npm start)`,
    );
    return undefined;
  }
}

/** A client on a connection, in the configured namespace (default `default`). */
export function clientOf(connection: Connection): Client {
  return new Client({ connection, namespace: temporalTarget().namespace });
}

/**
 * Rows (the first is the header) as aligned columns. Cells hold data from alerts and people: printable text
 * only, at most `maxCell` characters.
 */
export function table(cells: string[][], maxCell = 200): string {
  const rows = cells.map((r) => r.map((c) => terminalText(c, maxCell)));
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/**
 * Runs `fn` with a client for TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE: 3 (unreachable) when Temporal cannot be
 * reached or fails, with the reason; the connection is closed either way.
 */
export async function withTemporalClient(
  err: (s: string) => void,
  fn: (client: Client, connection: Connection) => Promise<number>,
): Promise<number> {
  const connection = await connectOrSay(err);
  if (!connection) return 3;
  try {
    return await fn(clientOf(connection), connection);
  } catch (e) {
    err(`Temporal error: ${terminalText((e as Error).message)}`);
    return 3;
  } finally {
    await connection.close();
  }
}

/**
 * `--json` output: JSON, with every character a terminal could act on written as an escape (JSON.stringify
 * escapes C0 controls only; C1 controls and bidi overrides from alert text would reach the terminal).
 */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(
    /[\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** An Update's refusal (its validator's reason, exit 1) or a missing workflow (exit 4); anything else thrown. */
export function refusedOrThrow(e: unknown, notFound: string, err: (s: string) => void): number {
  if (e instanceof WorkflowUpdateFailedError) {
    err(terminalText(e.cause?.message ?? e.message));
    return EXIT.refused;
  }
  if (e instanceof WorkflowNotFoundError) {
    err(notFound);
    return EXIT.notFound;
  }
  throw e;
}
