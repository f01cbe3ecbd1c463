/**
 * The incident's custom search attributes, registered where the worker runs: the dev server, a cluster
 * set up by Compose or Helm. Temporal Cloud registers them in its UI or with tcld (the call is refused there).
 */
import type { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { INCIDENT_SEARCH_ATTRIBUTES } from '../domain/search-attributes';

/** Registers IncidentSeverity/Service/Scenario/Status (Keyword); already-registered ones are fine. */
export async function registerSearchAttributes(
  connection: Pick<Connection, 'operatorService'>,
  namespace = 'default',
): Promise<void> {
  const wanted = Object.fromEntries(
    INCIDENT_SEARCH_ATTRIBUTES.map((k) => [
      k.name,
      temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    ]),
  );
  let existing: Record<string, unknown> = {};
  try {
    existing = (await connection.operatorService.listSearchAttributes({ namespace })).customAttributes ?? {};
  } catch {
    // The time-skipping test server cannot list; adding is idempotent enough there.
  }
  const missing = Object.fromEntries(Object.entries(wanted).filter(([name]) => !(name in existing)));
  if (!Object.keys(missing).length) return;
  try {
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
  } catch (err) {
    if (!/already exists/i.test((err as Error).message)) throw err;
  }
}
