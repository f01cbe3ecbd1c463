/**
 * The responders' console on the API's listener: `/` (incidents, live), `/incidents/{id}` (one incident:
 * act on it, its alerts, pages and timeline), `/login` and `/logout`, and its script and style from the
 * package (`console/`), never from a CDN. Pages need the same caller as the API (`../api/auth.ts`); a
 * browser that is not logged in is sent to `/login`, where the person's API token starts a session.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { RunbooksConfig } from '../../config';
import { PACKAGE_ROOT } from '../../config/package-root';
import { ownValue } from '../../domain/policy';
import { tokenContact, type SqlClient } from '../../store';
import { csrfMatches, csrfRefusal, csrfToken, endSession, startSession } from '../api/session';
import {
  CONSOLE_CSP,
  incidentListPage,
  incidentPage,
  loginPage,
  onCallPage,
  reportsPage,
  type Viewer,
} from './pages';

const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';
/** The console's files: its own from the package's console/, uPlot's from its npm package (no CDN). */
const ASSETS: Record<string, { type: string; file: () => string }> = {
  'console.js': { type: JS, file: () => path.join(PACKAGE_ROOT, 'console', 'console.js') },
  'incident.js': { type: JS, file: () => path.join(PACKAGE_ROOT, 'console', 'incident.js') },
  'oncall.js': { type: JS, file: () => path.join(PACKAGE_ROOT, 'console', 'oncall.js') },
  'reports.js': { type: JS, file: () => path.join(PACKAGE_ROOT, 'console', 'reports.js') },
  'console.css': { type: CSS, file: () => path.join(PACKAGE_ROOT, 'console', 'console.css') },
  'uplot.js': { type: JS, file: () => require.resolve('uplot/dist/uPlot.iife.min.js') },
  'uplot.css': { type: CSS, file: () => require.resolve('uplot/dist/uPlot.min.css') },
};

/** Only a path on this site: `next` never sends the browser elsewhere after login. */
function localPath(next: unknown): string {
  return typeof next === 'string' && /^\/(?![/\\])/.test(next) && next.length <= 500 ? next : '/';
}

function html(reply: FastifyReply, body: string, code = 200) {
  return reply
    .code(code)
    .header('content-type', 'text/html; charset=utf-8')
    .header('content-security-policy', CONSOLE_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'same-origin')
    .header('cache-control', 'no-store')
    .send(body);
}

export const consoleRoutes =
  (db: SqlClient, config: RunbooksConfig): FastifyPluginAsync =>
  async (app) => {
    const assets = new Map(Object.entries(ASSETS).map(([name, asset]) => [name, readFileSync(asset.file())]));
    const viewer = (req: FastifyRequest, reply: FastifyReply): Viewer => ({
      name: req.caller.contactId === null ? null : config.contacts[req.caller.contactId].name,
      csrf: csrfToken(req, reply),
    });
    // The login form posts as a form; only this plugin reads that encoding.
    app.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: 4096 },
      (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
    );
    const hidden = { hide: true };

    app.get('/console/:file', { schema: hidden, config: { public: true } }, async (req, reply) => {
      const { file } = req.params as { file: string };
      const body = Object.hasOwn(ASSETS, file) ? assets.get(file) : undefined;
      if (!body) return reply.code(404).send({ error: 'not found' });
      return reply
        .header('content-type', ASSETS[file].type)
        .header('x-content-type-options', 'nosniff')
        .header('cache-control', 'no-cache')
        .send(body);
    });

    app.get('/', { schema: hidden, config: { page: true } }, async (req, reply) =>
      html(
        reply,
        incidentListPage(
          viewer(req, reply),
          Object.entries(config.teams).map(([id, t]) => ({ id, name: t.name ?? id })),
        ),
      ),
    );
    app.get('/incidents/:id', { schema: hidden, config: { page: true } }, async (req, reply) =>
      html(reply, incidentPage(viewer(req, reply), (req.params as { id: string }).id.slice(0, 300))),
    );

    app.get('/oncall', { schema: hidden, config: { page: true } }, async (req, reply) =>
      html(reply, onCallPage(viewer(req, reply))),
    );

    app.get('/reports', { schema: hidden, config: { page: true } }, async (req, reply) =>
      html(reply, reportsPage(viewer(req, reply))),
    );

    app.get('/login', { schema: hidden, config: { public: true } }, async (req, reply) =>
      html(reply, loginPage(csrfToken(req, reply), localPath((req.query as { next?: unknown }).next))),
    );
    app.post('/login', { schema: hidden, config: { public: true } }, async (req, reply) => {
      const form = (req.body ?? {}) as Record<string, unknown>;
      const next = localPath(form.next);
      const again = (problem: string, code: number) =>
        html(reply, loginPage(csrfToken(req, reply), next, problem), code);
      if (!csrfMatches(req, typeof form.csrf === 'string' ? form.csrf : undefined))
        return again('The form expired: log in again.', 403);
      const token = typeof form.token === 'string' ? form.token.trim() : '';
      const contactId = token ? await tokenContact(db, token) : null;
      if (!contactId || !ownValue(config.contacts, contactId))
        return again('That is not a live API token of a configured contact.', 401);
      startSession(req, reply, token);
      return reply.redirect(next, 303);
    });
    // Open to any browser, so a session whose token was revoked can still be ended; the CSRF header keeps
    // other sites from logging a person out.
    app.post('/logout', { schema: hidden, config: { public: true } }, async (req, reply) => {
      const refused = csrfRefusal(req, 'cookie');
      if (refused) return reply.code(403).send({ error: refused });
      endSession(req, reply);
      return { message: 'logged out' };
    });
  };
