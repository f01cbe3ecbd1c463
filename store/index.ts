/**
 * The system of record: incidents, their whole timelines, notifications, reviews, action items and the
 * audit, in PostgreSQL. `openStore` opens it where the environment says (`DATABASE_URL`, else PGlite under
 * the data directory) and migrates it to the newest schema before anything reads or writes.
 */
import path from 'node:path';
import { migrate } from './migrate';
import { openSqlClient, type SqlClient, type StoreLocation } from './sql-client';

export {
  appendTimeline,
  numberedTimeline,
  recordIncidentView,
  recordPages,
  timelineOf,
  upsertIncident,
  type IncidentRecord,
  type RecordedView,
} from './record';
export {
  BadCursor,
  incidentDetail,
  listIncidents,
  recordChangeMark,
  responseTimes,
  type IncidentDetail,
  type IncidentFilter,
  type IncidentListRow,
  type NotificationRow,
  type ResponseTimes,
  storedWorkflowId,
} from './queries';
export {
  editReview,
  REVIEW_FIELDS,
  reviewOf,
  saveReview,
  type ReviewFields,
  type ReviewRecord,
} from './reviews';
export type { Queryable, SqlClient, StoreLocation } from './sql-client';

/** Where the store is: `DATABASE_URL` when set, else the embedded PGlite in `<dataDir>/store`. */
export function storeLocation(env: NodeJS.ProcessEnv, dataDir: string): StoreLocation {
  const url = env.DATABASE_URL?.trim();
  return url ? { databaseUrl: url } : { dataDir: path.join(dataDir, 'store') };
}

/**
 * The store as it is, not migrated: for a process that only uses a table the worker and the API migrate
 * (the intake's request claims), with a database role that may do no more (docs/deploy.md).
 */
export function connectStore(where: StoreLocation): Promise<SqlClient> {
  return openSqlClient(where);
}

export async function openStore(where: StoreLocation): Promise<SqlClient> {
  const db = await openSqlClient(where);
  try {
    await migrate(db);
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
  return db;
}
export {
  createToken,
  listTokens,
  revokeToken,
  tokenContact,
  tokensIssued,
  TOKEN_PREFIX,
  type ApiToken,
} from './tokens';
export { auditOf, recordAudit, type AuditEntry } from './audit';
export {
  ACTION_ITEM_STATUSES,
  createActionItem,
  listActionItems,
  updateActionItem,
  type ActionItem,
  type ActionItemChange,
  type ActionItemStatus,
} from './action-items';
export { purgeClosedBefore } from './retention';
export { onCallLoad, weeklyResponseTimes, type OnCallLoad, type WeeklyResponseTimes } from './reports';
export { claimRequest, purgeExpiredClaims, releaseRequest } from './request-claims';
export {
  claimReminder,
  dueStatusReminders,
  openIncidentsOf,
  publishStatusUpdate,
  releaseReminder,
  serviceOverrides,
  setServiceOverride,
  statusContextOf,
  statusUpdatesSince,
  type DueReminder,
  type ServiceOverride,
} from './status-page';
