/** What the responder CLIs (`incident`, `oncall`) share: reaching Temporal, printing tables. */
import { Connection } from '@temporalio/client';

/** Connects to TEMPORAL_ADDRESS (default the dev server), or says why not and answers undefined. */
export async function connectOrSay(err: (s: string) => void): Promise<Connection | undefined> {
  const address = process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
  try {
    return await Connection.connect({ address, connectTimeout: 3000 });
  } catch {
    err(`cannot reach Temporal at ${address} (set TEMPORAL_ADDRESS, or run npm start)`);
    return undefined;
  }
}

/** Rows (the first is the header) as aligned columns. */
export function table(rows: string[][]): string {
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
