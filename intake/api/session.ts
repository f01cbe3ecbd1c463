/**
 * The console's browser session and its CSRF token. A person logs in with their API token; it is kept in an
 * HttpOnly, SameSite=Strict cookie, so page scripts cannot read it and other sites' requests do not carry
 * it. Every change from a browser (by its session cookie, or any request with an `Origin`, as a browser
 * behind a trusted proxy sends) must also carry `X-CSRF-Token` equal to the `dr_csrf` cookie (double submit): a page of another
 * origin can neither read that cookie nor set that header. The CLI's Bearer calls carry neither, and need not.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

export const SESSION_COOKIE = 'dr_session';
export const CSRF_COOKIE = 'dr_csrf';
export const CSRF_HEADER = 'x-csrf-token';
/** A browser session lasts a working day; the token itself lives until revoked. */
const SESSION_SECONDS = 12 * 3600;
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The request's cookies (the first of a repeated name wins, as browsers send the most specific first). */
export function cookiesOf(req: FastifyRequest): Record<string, string> {
  const cookies: Record<string, string> = {};
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 1) continue;
    const name = part.slice(0, eq).trim();
    if (Object.hasOwn(cookies, name)) continue;
    try {
      cookies[name] = decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      /* not one of ours */
    }
  }
  return cookies;
}

/** Secure when the browser reached us over HTTPS (directly, or through a proxy that says so). */
function secure(req: FastifyRequest): boolean {
  return req.protocol === 'https' || req.headers['x-forwarded-proto'] === 'https';
}

function cookie(req: FastifyRequest, name: string, value: string, maxAge: number): string {
  return [
    `${name}=${encodeURIComponent(value)}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Strict',
    `Max-Age=${maxAge}`,
    ...(secure(req) ? ['Secure'] : []),
  ].join('; ');
}

function addCookie(reply: FastifyReply, value: string): void {
  const set = reply.getHeader('set-cookie');
  reply.header('set-cookie', [...(set === undefined ? [] : [set].flat().map(String)), value]);
}

export function startSession(req: FastifyRequest, reply: FastifyReply, token: string): void {
  addCookie(reply, cookie(req, SESSION_COOKIE, token, SESSION_SECONDS));
}

export function endSession(req: FastifyRequest, reply: FastifyReply): void {
  addCookie(reply, cookie(req, SESSION_COOKIE, '', 0));
}

/** The browser's CSRF token: the one its cookie holds, or a new one set now. Pages embed it. */
export function csrfToken(req: FastifyRequest, reply: FastifyReply): string {
  const current = cookiesOf(req)[CSRF_COOKIE];
  if (current && /^[A-Za-z0-9_-]{32,}$/.test(current)) return current;
  const fresh = randomBytes(24).toString('base64url');
  addCookie(reply, cookie(req, CSRF_COOKIE, fresh, SESSION_SECONDS));
  return fresh;
}

/** Whether `offered` is the browser's CSRF token. */
export function csrfMatches(req: FastifyRequest, offered: string | undefined): boolean {
  const expected = cookiesOf(req)[CSRF_COOKIE];
  if (!expected || !offered || expected.length !== offered.length) return false;
  return timingSafeEqual(Buffer.from(expected), Buffer.from(offered));
}

/** Why this change is refused as a possible cross-site request, or null. */
export function csrfRefusal(
  req: FastifyRequest,
  via: 'token' | 'cookie' | 'proxy' | 'loopback',
): string | null {
  if (!UNSAFE.has(req.method) || via === 'token') return null;
  // Browsers send Origin with every POST, PUT, PATCH and DELETE; scripts behind a proxy and the CLI do not.
  if (via !== 'cookie' && req.headers.origin === undefined) return null;
  const offered = req.headers[CSRF_HEADER];
  return csrfMatches(req, Array.isArray(offered) ? offered[0] : offered)
    ? null
    : `${CSRF_HEADER}: missing or not this browser's (reload the page)`;
}
