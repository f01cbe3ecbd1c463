/**
 * Who is calling the API. Once a person has a token (`durable-runbooks token create`) or a trusted proxy is
 * configured (`api.trustedProxies`), every caller must be a person: a live token (`Authorization: Bearer`),
 * or a request from a trusted proxy naming a configured contact (`X-Forwarded-User`: its id,
 * `X-Forwarded-Email`: its email). Before that, the API answers this machine only, as the intake does
 * without its token: anyone there could reach Temporal anyway.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RunbooksConfig } from '../../config';
import { ownValue } from '../../domain/policy';
import { plainText } from '../../domain/text';
import { tokenContact, tokensIssued, type Queryable } from '../../store';
import { hostOf, isLoopbackHost } from '../http';

/** The caller: a configured contact, or (no person required yet) someone on this machine. */
export type ApiCaller = { contactId: string; via: 'token' | 'proxy' } | { contactId: null; via: 'loopback' };

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

/** The `onRequest` hook: decides `req.caller`, or answers 401/403. */
export function authenticate(db: Queryable, config: RunbooksConfig) {
  const proxies = new Set(config.api.trustedProxies);
  return async (req: FastifyRequest, reply: FastifyReply) => {
    if ((req.routeOptions.config as { public?: boolean } | undefined)?.public) return;
    const bearer = header(req, 'authorization')?.match(/^Bearer\s+(\S+)$/i)?.[1];
    if (bearer) {
      const contactId = await tokenContact(db, bearer);
      if (!contactId) return reply.code(401).send({ error: 'Authorization: not a live API token' });
      if (!ownValue(config.contacts, contactId))
        return reply.code(401).send({
          error: `Authorization: the token's contact "${plainText(contactId, 100)}" is no longer configured`,
        });
      req.caller = { contactId, via: 'token' };
      return;
    }
    if (proxies.has(req.ip) && (header(req, 'x-forwarded-user') || header(req, 'x-forwarded-email'))) {
      const contactId = proxiedContact(config, req);
      if (!contactId)
        return reply
          .code(401)
          .send({ error: 'X-Forwarded-User / X-Forwarded-Email: not a configured contact' });
      req.caller = { contactId, via: 'proxy' };
      return;
    }
    if (proxies.size || (await tokensIssued(db)))
      return reply.code(401).send({
        error: "Authorization: a person's API token is required (durable-runbooks token create <contact>)",
      });
    if (!isLoopbackHost(req.ip) || !isLoopbackHost(hostOf(req.headers.host)))
      return reply.code(403).send({
        error:
          'until someone has an API token the API answers this machine only: call it on 127.0.0.1 (durable-runbooks token create <contact>)',
      });
    req.caller = { contactId: null, via: 'loopback' };
  };
}

/** How the timeline names the caller. */
export function callerName(config: RunbooksConfig, caller: ApiCaller): string {
  return caller.contactId === null
    ? 'api (this machine)'
    : `${config.contacts[caller.contactId].name} (api:${caller.contactId})`;
}
