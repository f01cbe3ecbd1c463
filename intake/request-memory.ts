/**
 * Which signed requests (Slack signatures, PagerDuty event ids) were already handled, so a replay within the
 * sender's window acts once. Alone, an intake remembers them itself; beside other replicas on one store
 * (`INTAKE_DATABASE_URL` or `DATABASE_URL`), the store's `request_claims` is what they all see, so a replay
 * sent to another replica is refused too.
 */
import type { Logger } from '../config/logger';
import { claimRequest, purgeExpiredClaims, releaseRequest, type SqlClient } from '../store';

export interface RequestMemory {
  /** True the first time `key` is claimed within `windowMs` (handle the request); false for a replay. */
  claim(key: string, windowMs: number): Promise<boolean>;
  /** Forgets a claim whose request was not handled (Temporal did not answer), so that its retry is. */
  release(key: string): Promise<void>;
  close(): Promise<void>;
}

/** This replica's own memory: bounded, the oldest claims forgotten first (they expire first anyway). */
export function localRequestMemory(now: () => number, max = 100_000): RequestMemory {
  const expiries = new Map<string, number>();
  return {
    async claim(key, windowMs) {
      const at = now();
      for (const [k, expiry] of expiries) {
        if (expiry > at && expiries.size < max) break;
        expiries.delete(k); // insertion order: with one window per kind, about the oldest first
      }
      const expiry = expiries.get(key);
      if (expiry !== undefined && expiry > at) return false;
      expiries.delete(key);
      expiries.set(key, at + windowMs);
      return true;
    },
    async release(key) {
      expiries.delete(key);
    },
    async close() {},
  };
}

/** How long a claim may wait for the store before this replica decides alone. */
const STORE_WAIT_MS = 2000;
/** Expired claims are deleted at most this often, by whichever claim comes then. */
const PURGE_EVERY_MS = 10 * 60_000;

function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/**
 * The store's memory, shared by the replicas, with this replica's own in front (a replay to the same
 * replica costs no query). When the store does not answer, the replica decides alone and says so: a
 * responder's click must not wait on the store, and the replica still refuses replays it has seen.
 */
export function sharedRequestMemory(
  open: () => Promise<SqlClient>,
  opts: { now: () => number; logger?: Logger },
): RequestMemory {
  const local = localRequestMemory(opts.now);
  let db: Promise<SqlClient> | undefined;
  let lastPurge = opts.now();
  const store = () =>
    (db ??= open().catch((err: unknown) => {
      db = undefined; // opened again at the next claim
      throw err;
    }));
  const alone = (err: unknown) =>
    opts.logger?.warn(
      { err },
      'the store did not answer: this replica alone decides whether a signed request is a replay',
    );
  return {
    async claim(key, windowMs) {
      if (!(await local.claim(key, windowMs))) return false;
      try {
        const sql = await within(STORE_WAIT_MS, store());
        const first = await within(STORE_WAIT_MS, claimRequest(sql, key, windowMs, new Date(opts.now())));
        if (opts.now() - lastPurge > PURGE_EVERY_MS) {
          lastPurge = opts.now();
          void purgeExpiredClaims(sql, new Date(lastPurge)).catch(alone);
        }
        return first;
      } catch (err) {
        alone(err);
        return true;
      }
    },
    async release(key) {
      await local.release(key);
      try {
        await within(
          STORE_WAIT_MS,
          store().then((sql) => releaseRequest(sql, key)),
        );
      } catch (err) {
        alone(err);
      }
    },
    async close() {
      const opened = db;
      db = undefined;
      await opened?.then((sql) => sql.close()).catch(() => undefined);
    },
  };
}
