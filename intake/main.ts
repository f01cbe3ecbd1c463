import { isIP } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../config';
import { nameProcessLog, processLogger, startupLogger } from '../config/logger';
import { startTracing } from '../config/tracing';
import { clientConnectionOptions, temporalTarget, type TemporalTarget } from '../config/temporal-client';
import { connectStore } from '../store';
import { localRequestMemory, sharedRequestMemory, type RequestMemory } from './request-memory';
import { buildIntakeServer, isLoopbackHost } from './server';

export const DEFAULT_INTAKE_PORT = 8088;

/** Starts the intake; without INTAKE_TOKEN it refuses any non-loopback bind and says so. */
export async function startIntake(opts: {
  temporal: TemporalTarget;
  host?: string;
  port?: number;
  token?: string;
  /** Proxies in front of this replica (added to the config's `intake.trustedProxies`). */
  trustedProxies?: string[];
  /** The store's PostgreSQL, shared by the replicas: where they remember the signed requests they handled. */
  databaseUrl?: string;
}) {
  const loaded = loadConfig();
  const config = opts.trustedProxies?.length
    ? {
        ...loaded,
        intake: {
          ...loaded.intake,
          trustedProxies: [...loaded.intake.trustedProxies, ...opts.trustedProxies],
        },
      }
    : loaded;
  const connection = Connection.lazy(clientConnectionOptions(opts.temporal));
  const client = new Client({ connection, namespace: opts.temporal.namespace });
  const token = opts.token?.trim() || undefined;
  let host = opts.host ?? '127.0.0.1';
  if (!token && !isLoopbackHost(host)) {
    processLogger().warn(
      `INTAKE_TOKEN is not set: binding to 127.0.0.1 instead of ${host} (set a token to accept remote alerts)`,
    );
    host = '127.0.0.1';
  } else if (!token) {
    startupLogger().info('INTAKE_TOKEN is not set: accepting alerts from loopback only');
  }
  const app = await buildIntakeServer({
    client,
    config,
    token,
    logger: processLogger(),
    requests: requestMemory(opts.databaseUrl),
  });
  await app.listen({ host, port: opts.port ?? DEFAULT_INTAKE_PORT });
  return {
    url: `http://${host}:${opts.port ?? DEFAULT_INTAKE_PORT}`,
    async close() {
      await app.close();
      await connection.close();
    },
  };
}

/**
 * Where this replica remembers the signed requests it handled: in the store when INTAKE_DATABASE_URL (a
 * role that may use `request_claims` only) or DATABASE_URL names one, connected at the first Slack or
 * PagerDuty request and never migrated by the intake (so it starts and takes alerts without the store);
 * else in itself (`npm start` runs one intake; the embedded store is the API's alone).
 */
function requestMemory(databaseUrl: string | undefined): RequestMemory {
  const now = Date.now;
  const url = databaseUrl?.trim();
  if (!url) return localRequestMemory(now);
  startupLogger().info('signed Slack and PagerDuty requests are remembered in the store');
  return sharedRequestMemory(() => connectStore({ databaseUrl: url }), { now, logger: processLogger() });
}

/** INTAKE_TRUSTED_PROXIES: comma-separated addresses or CIDR ranges (`npm run cluster` sets 127.0.0.1). */
export function trustedProxiesFromEnv(raw: string | undefined): string[] {
  const entries = (raw ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  for (const entry of entries) {
    const [address, bits, extra] = entry.split('/');
    const family = isIP(address);
    const maxBits = family === 6 ? 128 : 32;
    if (
      !family ||
      extra !== undefined ||
      (bits !== undefined && !(/^\d+$/.test(bits) && Number(bits) <= maxBits))
    )
      throw new Error(`INTAKE_TRUSTED_PROXIES: "${entry}" is not an IP address or CIDR range`);
  }
  return entries;
}

/** Tokens shorter than this can be guessed by a patient attacker: 32 characters of a generator's output. */
export const MIN_INTAKE_TOKEN_LENGTH = 32;
/** Example values shipped in our own files: a deployment that kept one is open to anyone who read them. */
const PLACEHOLDER_TOKENS = ['change-me-to-a-long-random-token', 'change-me', 'changeme'];

/**
 * INTAKE_TOKEN as the intake may use it: unset (loopback only), or a long token that is not a shipped
 * placeholder. Anything else stops the start-up with a message naming the variable.
 */
export function intakeTokenFromEnv(raw: string | undefined): string | undefined {
  const token = raw?.trim();
  if (!token) return undefined;
  if (PLACEHOLDER_TOKENS.includes(token.toLowerCase()))
    throw new Error(
      'INTAKE_TOKEN is the placeholder from the example file: set a random one (openssl rand -hex 32)',
    );
  if (token.length < MIN_INTAKE_TOKEN_LENGTH)
    throw new Error(
      `INTAKE_TOKEN is ${token.length} characters: use at least ${MIN_INTAKE_TOKEN_LENGTH} random ones (openssl rand -hex 32)`,
    );
  return token;
}

if (require.main === module) {
  const log = nameProcessLog('intake');
  const tracing = startTracing('intake');
  Promise.resolve()
    .then(() =>
      startIntake({
        temporal: temporalTarget(),
        host: process.env.INTAKE_HOST,
        port: process.env.INTAKE_PORT ? Number(process.env.INTAKE_PORT) : undefined,
        token: intakeTokenFromEnv(process.env.INTAKE_TOKEN),
        trustedProxies: trustedProxiesFromEnv(process.env.INTAKE_TRUSTED_PROXIES),
        databaseUrl: process.env.INTAKE_DATABASE_URL || process.env.DATABASE_URL,
      }),
    )
    .then((intake) => {
      startupLogger(log).info(`listening on ${intake.url}`);
      // A replica being replaced answers what it has accepted before it exits; the proxy sends the rest on.
      for (const signal of ['SIGTERM', 'SIGINT'] as const)
        process.once(
          signal,
          () =>
            void intake
              .close()
              .then(() => tracing?.shutdown())
              .finally(() => process.exit(0)),
        );
    })
    .catch((err) => {
      log.fatal(err instanceof Error ? err.message : String(err));
      process.exit(1);
    });
}
