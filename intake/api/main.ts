/**
 * The API's listener on API_HOST:API_PORT (default 127.0.0.1:8089) over an open store. Until someone has an
 * API token (or a trusted proxy is configured) it binds to loopback only, whatever API_HOST says, and says
 * so. The process that runs it (`durable-runbooks api`, `npm run api`) is `workers/api-main.ts`: it also
 * records the incidents into the store.
 */
import { processLogger } from '../../config/logger';
import { packageVersion } from '../../config/package-root';
import { tokensIssued } from '../../store';
import Fastify from 'fastify';
import { fastifyLogging, isLoopbackHost, logAnswers } from '../http';
import { statusPageRoutes } from '../status/routes';
import { buildApiServer, type ApiOptions } from './server';
import { DEFAULT_API_PORT } from '../../config/api-address';

/** The port a variable names (`fallback` when unset); anything but a port stops the start, naming it. */
function portFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const port = Number(env[name] || fallback);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`${name} must be a port number, not ${JSON.stringify(env[name])}`);
  return port;
}

export async function startApi(opts: Omit<ApiOptions, 'version'>, env: NodeJS.ProcessEnv = process.env) {
  let host = env.API_HOST?.trim() || '127.0.0.1';
  const people = opts.config.api.trustedProxies.length > 0 || (await tokensIssued(opts.db));
  if (!isLoopbackHost(host) && !people) {
    processLogger().warn(`nobody has an API token yet: binding to 127.0.0.1 instead of ${host}`);
    host = '127.0.0.1';
  }
  const port = portFromEnv(env, 'API_PORT', DEFAULT_API_PORT);
  const app = await buildApiServer({ ...opts, version: packageVersion() });
  const address = await app.listen({ host, port });
  return { url: address, close: () => app.close() };
}

/**
 * The status page on a listener of its own (STATUS_HOST:STATUS_PORT, host 127.0.0.1 unless set), so that
 * only it faces customers: nothing else answers there. Null when STATUS_PORT is unset.
 */
export async function startStatusPage(
  opts: Pick<ApiOptions, 'db' | 'config' | 'logger' | 'statusCacheMs'>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ url: string; close: () => Promise<void> } | null> {
  if (!env.STATUS_PORT?.trim()) return null;
  const port = portFromEnv(env, 'STATUS_PORT', 0);
  const app = Fastify(fastifyLogging(opts.logger));
  logAnswers(app);
  await app.register(statusPageRoutes(opts.db, opts.config, opts.statusCacheMs));
  app.setNotFoundHandler((_req, reply) => reply.code(404).send({ error: 'not found' }));
  const url = await app.listen({ host: env.STATUS_HOST?.trim() || '127.0.0.1', port });
  return { url, close: () => app.close() };
}
