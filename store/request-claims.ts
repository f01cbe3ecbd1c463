/**
 * Signed requests already handled, shared by every intake replica on one store: a Slack request may be
 * sent again while its signature is valid (5 minutes either way), a PagerDuty event while it is not stale.
 * The first replica to claim a request's key handles it; every other claim within the window is a replay.
 */
import type { Queryable } from './sql-client';

/**
 * True when this call is the first claim of `key` since the last one expired (the caller handles the
 * request); false for a replay. One statement, so two replicas claiming at once cannot both win.
 */
export async function claimRequest(
  db: Queryable,
  key: string,
  windowMs: number,
  now: Date,
): Promise<boolean> {
  const { rows } = await db.query(
    `INSERT INTO request_claims (key, expires_at) VALUES ($1, $2)
     ON CONFLICT (key) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE request_claims.expires_at <= $3
     RETURNING key`,
    [key, new Date(now.getTime() + windowMs), now],
  );
  return rows.length === 1;
}

/** Gives up a claim whose request was not handled (Temporal unavailable), so that its retry is. */
export async function releaseRequest(db: Queryable, key: string): Promise<void> {
  await db.query('DELETE FROM request_claims WHERE key = $1', [key]);
}

/** Removes the claims past their window; answers how many went. */
export async function purgeExpiredClaims(db: Queryable, now: Date): Promise<number> {
  const { rows } = await db.query('DELETE FROM request_claims WHERE expires_at <= $1 RETURNING key', [now]);
  return rows.length;
}
