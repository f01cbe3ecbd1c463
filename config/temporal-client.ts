/**
 * Where and how the worker, the intake, the CLIs and the drills reach Temporal: the SDK's environment
 * configuration, so one build runs against the dev server, a self-hosted cluster with mTLS, or Temporal
 * Cloud. `TEMPORAL_ADDRESS`, `TEMPORAL_NAMESPACE`, `TEMPORAL_API_KEY`, `TEMPORAL_TLS` and
 * `TEMPORAL_TLS_CLIENT_CERT_PATH` / `_CLIENT_KEY_PATH` / `_SERVER_CA_CERT_PATH` / `_SERVER_NAME`, or a
 * profile (`TEMPORAL_PROFILE`) of a config file (`TEMPORAL_CONFIG_FILE`, else the SDK's default path).
 * Without any of them: the dev server on 127.0.0.1:7233, namespace `default`, no TLS.
 */
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { NativeConnectionOptions } from '@temporalio/worker';

export const DEFAULT_TEMPORAL_ADDRESS = '127.0.0.1:7233';

export interface TemporalTarget {
  /** For NativeConnection.connect (worker) and, field by field, Connection.connect (clients). */
  connection: NativeConnectionOptions & { address: string };
  namespace: string;
  /** For logs: the address and whether TLS / an API key are used (never the key or a certificate). */
  description: string;
}

export function temporalTarget(env: NodeJS.ProcessEnv = process.env): TemporalTarget {
  const defined = Object.fromEntries(
    Object.entries(env).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
  const loaded = loadClientConnectConfig({ overrideEnvVars: defined });
  const address = loaded.connectionOptions.address ?? DEFAULT_TEMPORAL_ADDRESS;
  const { tls, apiKey } = loaded.connectionOptions;
  const how = [tls ? 'TLS' : null, apiKey ? 'API key' : null].filter(Boolean).join(', ');
  return {
    connection: { ...loaded.connectionOptions, address },
    namespace: loaded.namespace ?? 'default',
    description: `${address}${how ? ` (${how})` : ''}`,
  };
}

/** The same settings for `Connection.connect` / `Connection.lazy` of `@temporalio/client`. */
export function clientConnectionOptions(target: TemporalTarget) {
  const { address, tls, apiKey, metadata } = target.connection;
  return {
    address,
    ...(tls === undefined ? {} : { tls }),
    ...(apiKey === undefined ? {} : { apiKey: apiKey as string }),
    ...(metadata === undefined ? {} : { metadata }),
  };
}
