/**
 * Who is calling the API. Once a person has a token (`durable-runbooks token create`) or a trusted proxy is
 * configured (`api.trustedProxies`), every caller must be a person: a live token (`Authorization: Bearer`,
 * or the console's session cookie, which holds one: `session.ts`), or a request from a trusted proxy naming
 * a configured contact (`X-Forwarded-User`: its id, `X-Forwarded-Email`: its email). Before that, the API
 * answers this machine only, as the intake does without its token: anyone there could reach Temporal anyway.
 * Every change from a browser must carry its CSRF token (`session.ts`).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RunbooksConfig } from '../../config';
import { ownValue } from '../../domain/policy';
import { plainText } from '../../domain/text';
import { tokenContact, tokensIssued, type Queryable } from '../../store';
import { hostOf, isLoopbackHost } from '../http';
import { cookiesOf, csrfRefusal, SESSION_COOKIE } from './session';

/** The caller: a configured contact, or (no person required yet) someone on this machine. */
export type ApiCaller =
  { contactId: string; via: 'token' | 'cookie' | 'proxy' } | { contactId: null; via: 'loopback' };

declare module 'fastify' {
  interface FastifyRequest {
    caller: ApiCaller;
  }
}

function header(req: FastifyRequest, name: string): string | undefined {
  const value = req.headers[name];
  return (Array.isArray(value) ? value[0] : value)?.trim() || undefined;
}

function proxiedContact(config: RunbooksConfig, req: FastifyRequest): string | undefined {
  const user = header(req, 'x-forwarded-user');
  if (user) return ownValue(config.contacts, user) ? user : undefined;
  const email = header(req, 'x-forwarded-email')?.toLowerCase();
  if (!email) return undefined;
  return Object.entries(config.contacts).find(([, c]) => c.email?.toLowerCase() === email)?.[0];
}

/** The `onRequest` hook: decides `req.caller`, or answers 401/403 (a console page sends a browser to log in). */
export function authenticate(db: Queryable, config: RunbooksConfig) {
  const proxies = new Set(config.api.trustedProxies);
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const route = req.routeOptions.config as { public?: boolean; page?: boolean } | undefined;
    if (route?.public) return;
    const refuse = (code: 401 | 403, error: string) =>
      code === 401 && route?.page
        ? reply.redirect(`/login?next=${encodeURIComponent(req.url)}`, 303)
        : reply.code(code).send({ error });
    const caller = await callerOf(db, config, proxies, req);
    if ('error' in caller) return refuse(caller.code, caller.error);
    const csrf = csrfRefusal(req, caller.via);
    if (csrf) return reply.code(403).send({ error: csrf });
    req.caller = caller;
  };
}

async function callerOf(
  db: Queryable,
  config: RunbooksConfig,
  proxies: Set<string>,
  req: FastifyRequest,
): Promise<ApiCaller | { code: 401 | 403; error: string }> {
  const bearer = header(req, 'authorization')?.match(/^Bearer\s+(\S+)$/i)?.[1];
  const session = bearer ? undefined : cookiesOf(req)[SESSION_COOKIE] || undefined;
  const token = bearer ?? session;
  if (token) {
    const what = bearer ? 'Authorization' : 'session';
    const contactId = await tokenContact(db, token);
    if (!contactId) return { code: 401, error: `${what}: not a live API token` };
    if (!ownValue(config.contacts, contactId))
      return {
        code: 401,
        error: `${what}: the token's contact "${plainText(contactId, 100)}" is no longer configured`,
      };
    return { contactId, via: bearer ? 'token' : 'cookie' };
  }
  if (proxies.has(req.ip) && (header(req, 'x-forwarded-user') || header(req, 'x-forwarded-email'))) {
    const contactId = proxiedContact(config, req);
    if (!contactId)
      return { code: 401, error: 'X-Forwarded-User / X-Forwarded-Email: not a configured contact' };
    return { contactId, via: 'proxy' };
  }
  if (proxies.size || (await tokensIssued(db)))
    return {
      code: 401,
      error: "Authorization: a person's API token is required (durable-runbooks token create <contact>)",
    };
  if (!isLoopbackHost(req.ip) || !isLoopbackHost(hostOf(req.headers.host)))
    return {
      code: 403,
      error:
        'until someone has an API token the API answers this machine only: call it on 127.0.0.1 (durable-runbooks token create <contact>)',
    };
  return { contactId: null, via: 'loopback' };
}

/** How the timeline names the caller. */
export function callerName(config: RunbooksConfig, caller: ApiCaller): string {
  return caller.contactId === null
    ? 'api (this machine)'
    : `${config.contacts[caller.contactId].name} (api:${caller.contactId})`;
}
