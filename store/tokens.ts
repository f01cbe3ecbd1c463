/**
 * Per-person API tokens: a token names a contact of the configuration, and the API acts as that person. Only
 * the token's SHA-256 is stored (a token is 32 random bytes, so a fast hash is enough: nothing to guess),
 * shown once when it is created, and revoked by its id.
 */
import { createHash, randomBytes } from 'node:crypto';
import { iso } from './queries';
import type { Queryable } from './sql-client';

/** Tokens begin so, which makes one found in a log or a paste recognisable (and searchable by scanners). */
export const TOKEN_PREFIX = 'drb_';

export interface ApiToken {
  id: string;
  contact: string;
  label: string | null;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');

export async function createToken(
  db: Queryable,
  contact: string,
  label: string | null,
): Promise<{ id: string; token: string }> {
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  const { rows } = await db.query<{ id: string }>(
    'INSERT INTO api_tokens (contact, label, hash) VALUES ($1, $2, $3) RETURNING id::text AS id',
    [contact, label, hashOf(token)],
  );
  return { id: rows[0].id, token };
}

/** The contact a live token belongs to (and notes its use), or null: unknown, revoked, or not a token. */
export async function tokenContact(db: Queryable, token: string): Promise<string | null> {
  if (!token.startsWith(TOKEN_PREFIX) || token.length > 200) return null;
  const { rows } = await db.query<{ contact: string }>(
    `UPDATE api_tokens SET last_used_at = now() WHERE hash = $1 AND revoked_at IS NULL RETURNING contact`,
    [hashOf(token)],
  );
  return rows[0]?.contact ?? null;
}

/** Whether any live token exists: from then on the API asks every caller for one. */
export async function tokensIssued(db: Queryable): Promise<boolean> {
  const { rows } = await db.query('SELECT 1 FROM api_tokens WHERE revoked_at IS NULL LIMIT 1');
  return rows.length > 0;
}

/** Revokes a token by its id; false when there is no live token by that id. */
export async function revokeToken(db: Queryable, id: string): Promise<boolean> {
  if (!/^\d{1,18}$/.test(id)) return false;
  const { rows } = await db.query(
    'UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING 1',
    [id],
  );
  return rows.length > 0;
}

export async function listTokens(db: Queryable): Promise<ApiToken[]> {
  const { rows } = await db.query<{
    id: string;
    contact: string;
    label: string | null;
    created_at: Date;
    last_used_at: Date | null;
    revoked_at: Date | null;
  }>(
    'SELECT id::text AS id, contact, label, created_at, last_used_at, revoked_at FROM api_tokens ORDER BY id',
  );
  return rows.map((r) => ({
    id: r.id,
    contact: r.contact,
    label: r.label,
    createdAt: iso(r.created_at)!,
    lastUsedAt: iso(r.last_used_at),
    revokedAt: iso(r.revoked_at),
  }));
}
