/**
 * The configuration files `npm run cluster` writes for the Temporal server, its Web UI server and the HAProxy
 * in front of the intake replicas. Pure: ports and database settings in, file text out.
 */
import { stringify } from 'yaml';

export interface ClusterDatabase {
  host: string;
  port: number;
  user: string;
  password: string;
}

export interface TemporalServerPorts {
  frontend: number;
  frontendHttp: number;
  history: number;
  matching: number;
  worker: number;
  /** Ringpop membership, one per service. */
  frontendMembership: number;
  historyMembership: number;
  matchingMembership: number;
  workerMembership: number;
  metrics: number;
}

export const TEMPORAL_DATABASE = 'temporal';
export const VISIBILITY_DATABASE = 'temporal_visibility';
/** The system of record's database (`store/`), on the same server. */
export const STORE_DATABASE = 'durable_runbooks';

/** The server's static configuration: PostgreSQL (postgres12) for persistence and visibility. */
export function temporalServerConfig(opts: {
  ports: TemporalServerPorts;
  database: ClusterDatabase;
  historyShards: number;
  dynamicConfigFile: string;
}): string {
  const { ports, database } = opts;
  const datastore = (databaseName: string, maxConns: number) => ({
    sql: {
      pluginName: 'postgres12',
      databaseName,
      connectAddr: `${database.host}:${database.port}`,
      connectProtocol: 'tcp',
      user: database.user,
      password: database.password,
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  });
  const service = (grpcPort: number, membershipPort: number, extra: object = {}) => ({
    rpc: { grpcPort, membershipPort, bindOnLocalHost: true, ...extra },
  });
  return stringify({
    log: { stdout: true, level: 'warn' },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      numHistoryShards: opts.historyShards,
      datastores: {
        'postgres-default': datastore(TEMPORAL_DATABASE, 40),
        'postgres-visibility': datastore(VISIBILITY_DATABASE, 10),
      },
    },
    global: {
      membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' },
      metrics: {
        prometheus: {
          framework: 'tally',
          timerType: 'histogram',
          listenAddress: `127.0.0.1:${ports.metrics}`,
        },
      },
    },
    services: {
      frontend: service(ports.frontend, ports.frontendMembership, { httpPort: ports.frontendHttp }),
      history: service(ports.history, ports.historyMembership),
      matching: service(ports.matching, ports.matchingMembership),
      worker: service(ports.worker, ports.workerMembership),
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: {
        active: {
          enabled: true,
          initialFailoverVersion: 1,
          rpcName: 'frontend',
          rpcAddress: `127.0.0.1:${ports.frontend}`,
        },
      },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    dynamicConfigClient: { filepath: opts.dynamicConfigFile, pollInterval: '10s' },
  });
}

/**
 * Dynamic configuration. Search attributes are read through a cache; refreshing it on read makes the
 * incident attributes usable as soon as they are registered (the dev server does the same).
 */
export function temporalDynamicConfig(): string {
  const value = (v: unknown) => [{ value: v, constraints: {} }];
  return stringify({
    'system.forceSearchAttributesCacheRefreshOnRead': value(true),
    'frontend.enableUpdateWorkflowExecution': value(true),
    'frontend.enableExecuteMultiOperation': value(true),
    // A worker that stops cancels its polls; without this the server may still hand a task to the poll being
    // cancelled, and the task is lost until its timeout (10 s for a workflow task, 5 s for a page's heartbeat).
    'frontend.enableCancelWorkerPollsOnShutdown': value(true),
  });
}

/** The Web UI server's configuration (read as `<root>/config/<env>.yaml`). */
export function uiServerConfig(opts: { frontend: number; port: number }): string {
  return stringify({
    temporalGrpcAddress: `127.0.0.1:${opts.frontend}`,
    host: '127.0.0.1',
    port: opts.port,
    enableUi: true,
    publicPath: '',
    defaultNamespace: 'default',
    refreshInterval: '1m',
    showTemporalSystemNamespace: false,
    notifyOnNewVersion: false,
    cors: { cookieInsecure: false, allowOrigins: [`http://127.0.0.1:${opts.port}`] },
    auth: { enabled: false },
  });
}

/**
 * HAProxy in front of the intake replicas: one address for alert sources, health-checked backends, a failed
 * connection retried on the other replica, the client's address forwarded (the intakes trust 127.0.0.1 for
 * it, so rate limits stay per source).
 */
export function intakeProxyConfig(opts: { port: number; replicas: number[] }): string {
  return [
    'global',
    '  maxconn 4096',
    'defaults',
    '  mode http',
    '  option forwardfor',
    '  option redispatch',
    '  retries 3',
    // Not on a response timeout: the intake may still be starting the incident. A resent alert is
    // harmless (the incident id comes from its dedup or group key), a doubled wait is not.
    '  retry-on conn-failure empty-response',
    '  timeout connect 2s',
    '  timeout client 30s',
    '  timeout server 30s',
    '  timeout http-request 10s',
    'frontend intake',
    `  bind 127.0.0.1:${opts.port}`,
    '  default_backend intake_replicas',
    'backend intake_replicas',
    '  balance roundrobin',
    '  option httpchk',
    // With a Host the intake accepts (it refuses other names when it has no token: DNS rebinding).
    '  http-check send meth GET uri /healthz ver HTTP/1.1 hdr Host 127.0.0.1',
    '  default-server inter 1s fall 2 rise 1',
    ...opts.replicas.map((port, i) => `  server intake-${i + 1} 127.0.0.1:${port} check`),
    '',
  ].join('\n');
}
