/**
 * `npm run api` / `durable-runbooks api`: the API on API_HOST:API_PORT (default 127.0.0.1:8089) over the store
 * where the environment says (`DATABASE_URL`, else the embedded PGlite under RUNBOOKS_DATA_DIR, default `.data`).
 * Until API tokens exist it binds to loopback only, whatever API_HOST says, and says so.
 */
import path from 'node:path';
import { PACKAGE_ROOT, packageVersion } from '../../config/package-root';
import { openStore, storeLocation } from '../../store';
import { isLoopbackHost } from '../http';
import { buildApiServer } from './server';

export const DEFAULT_API_PORT = 8089;

export async function startApi(env: NodeJS.ProcessEnv = process.env) {
  let host = env.API_HOST?.trim() || '127.0.0.1';
  if (!isLoopbackHost(host)) {
    console.warn(`[api] API tokens do not exist yet: binding to 127.0.0.1 instead of ${host}`);
    host = '127.0.0.1';
  }
  const port = Number(env.API_PORT || DEFAULT_API_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`API_PORT must be a port number, not ${JSON.stringify(env.API_PORT)}`);
  const db = await openStore(storeLocation(env, env.RUNBOOKS_DATA_DIR || path.join(PACKAGE_ROOT, '.data')));
  const app = await buildApiServer({ db, version: packageVersion() });
  const address = await app.listen({ host, port });
  return {
    url: address,
    async close() {
      await app.close();
      await db.close();
    },
  };
}

if (require.main === module)
  startApi()
    .then(({ url, close }) => {
      console.log(`[api] serving ${url}/api/v1 (OpenAPI: ${url}/api/v1/openapi.json)`);
      const stop = () => void close().then(() => process.exit(0));
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    })
    .catch((err: Error) => {
      console.error(`[api] ${err.message}`);
      process.exit(1);
    });
