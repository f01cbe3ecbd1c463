/**
 * The public status page: `GET /status` (HTML), `/status.json` and `/status/feed.atom`. No login: it shows
 * only customer-facing services, their state, and what responders published. The model is built at most
 * every 5 s, however many customers reload it during an outage.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { RunbooksConfig } from '../../config';
import {
  firstMessages,
  overallHealth,
  publicIncidents,
  serviceStates,
  STATUS_HISTORY_DAYS,
  type PublicIncident,
} from '../../domain/status-page';
import { openIncidentsOf, serviceOverrides, statusUpdatesSince, type Queryable } from '../../store';
import { statusFeedAtom, statusPageHtml, type StatusPageModel } from './render';

const CACHE_MS = 5000;
/** Nothing but the inline style runs or loads: an injected tag would do nothing even if one got through. */
const CSP =
  "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** The services the page shows: the configuration's customer-facing ones. */
export function customerFacingServices(config: RunbooksConfig): string[] {
  return Object.entries(config.services)
    .filter(([, s]) => s.customerFacing)
    .map(([name]) => name)
    .sort();
}

export async function statusPageModel(
  db: Queryable,
  config: RunbooksConfig,
  now = Date.now(),
): Promise<StatusPageModel> {
  const services = customerFacingServices(config);
  const since = new Date(now - STATUS_HISTORY_DAYS * 86_400_000).toISOString();
  const [open, overrides, updates] = await Promise.all([
    openIncidentsOf(db, services),
    serviceOverrides(db),
    statusUpdatesSince(db, since),
  ]);
  const shown = updates.filter((u) => services.includes(u.service));
  const incidents = publicIncidents([
    ...shown,
    ...firstMessages(open, shown, config.publicStatus.firstMessage),
  ]);
  const states = serviceStates(
    services,
    open,
    overrides.filter((o) => services.includes(o.service)),
  );
  return {
    title: config.publicStatus.title,
    generatedAt: new Date(now).toISOString(),
    overall: overallHealth(states),
    services: states,
    active: incidents.filter((i: PublicIncident) => i.status !== 'resolved'),
    past: incidents.filter((i: PublicIncident) => i.status === 'resolved'),
  };
}

/** For JSON readers: what the page shows, without who wrote an update or set a state (a person of the team). */
function publicJson(m: StatusPageModel) {
  const incident = (i: PublicIncident) => ({
    ...i,
    updates: i.updates.map(({ author: _author, ...u }) => u),
  });
  return {
    ...m,
    services: m.services.map(({ overriddenBy: _by, ...s }) => s),
    active: m.active.map(incident),
    past: m.past.map(incident),
  };
}

export function statusPageRoutes(
  db: Queryable,
  config: RunbooksConfig,
  cacheMs = CACHE_MS,
): FastifyPluginAsync {
  let cached: { at: number; model: Promise<StatusPageModel> } | undefined;
  const model = () => {
    const now = Date.now();
    if (!cached || now - cached.at >= cacheMs) {
      const building = statusPageModel(db, config, now);
      cached = { at: now, model: building };
      building.catch(() => (cached = undefined)); // the next request tries again
    }
    return cached.model;
  };
  const route = { schema: { hide: true }, config: { public: true } };
  return async (app) => {
    app.get('/status', route, async (_req, reply) =>
      reply
        .header('content-security-policy', CSP)
        .header('x-content-type-options', 'nosniff')
        .header('cache-control', 'public, max-age=5')
        .type('text/html; charset=utf-8')
        .send(statusPageHtml(await model())),
    );
    app.get('/status.json', route, async (_req, reply) =>
      reply.header('cache-control', 'public, max-age=5').send(publicJson(await model())),
    );
    app.get('/status/feed.atom', route, async (_req, reply) =>
      reply
        .header('x-content-type-options', 'nosniff')
        .header('cache-control', 'public, max-age=5')
        .type('application/atom+xml; charset=utf-8')
        .send(statusFeedAtom(await model())),
    );
  };
}
