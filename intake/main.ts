import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../config';
import { clientConnectionOptions, temporalTarget, type TemporalTarget } from '../config/temporal-client';
import { buildIntakeServer, isLoopbackHost } from './server';

export const DEFAULT_INTAKE_PORT = 8088;

/** Starts the intake; without INTAKE_TOKEN it refuses any non-loopback bind and says so. */
export async function startIntake(opts: {
  temporal: TemporalTarget;
  host?: string;
  port?: number;
  token?: string;
}) {
  const config = loadConfig();
  const connection = Connection.lazy(clientConnectionOptions(opts.temporal));
  const client = new Client({ connection, namespace: opts.temporal.namespace });
  const token = opts.token?.trim() || undefined;
  let host = opts.host ?? '127.0.0.1';
  if (!token && !isLoopbackHost(host)) {
    console.warn(
      `[intake] INTAKE_TOKEN is not set: binding to 127.0.0.1 instead of ${host} (set a token to accept remote alerts)`,
    );
    host = '127.0.0.1';
  } else if (!token) {
    console.log('[intake] INTAKE_TOKEN is not set: accepting alerts from loopback only');
  }
  const app = await buildIntakeServer({ client, config, token });
  await app.listen({ host, port: opts.port ?? DEFAULT_INTAKE_PORT });
  return {
    url: `http://${host}:${opts.port ?? DEFAULT_INTAKE_PORT}`,
    async close() {
      await app.close();
      await connection.close();
    },
  };
}

if (require.main === module) {
  startIntake({
    temporal: temporalTarget(),
    host: process.env.INTAKE_HOST,
    port: process.env.INTAKE_PORT ? Number(process.env.INTAKE_PORT) : undefined,
    token: process.env.INTAKE_TOKEN,
  })
    .then((intake) => console.log(`[intake] listening on ${intake.url}`))
    .catch((err) => {
      console.error(`[intake] ${err instanceof Error ? err.message : err}`);
      process.exit(1);
    });
}
