import { parse } from 'yaml';
import {
  intakeProxyConfig,
  temporalDynamicConfig,
  temporalServerConfig,
  uiServerConfig,
  type TemporalServerPorts,
} from '../../../../scripts/ops/cluster-config';
import { clusterSettings } from '../../../../scripts/ops/cluster';
import { databaseUrl } from '../../../../scripts/ops/cluster-setup';
import { intakeTokenFromEnv, trustedProxiesFromEnv } from '../../../../intake/main';

const ports: TemporalServerPorts = {
  frontend: 7233,
  frontendHttp: 7243,
  history: 7234,
  matching: 7235,
  worker: 7239,
  frontendMembership: 6933,
  historyMembership: 6934,
  matchingMembership: 6935,
  workerMembership: 6939,
  metrics: 8000,
};

describe('the Temporal server configuration', () => {
  const config = parse(
    temporalServerConfig({
      ports,
      database: { host: '127.0.0.1', port: 5433, user: 'temporal', password: 'p"w: #x' },
      historyShards: 8,
      dynamicConfigFile: '/state/dynamicconfig.yaml',
    }),
  );

  test('persistence and visibility on PostgreSQL (postgres12), with the shard count asked for', () => {
    expect(config.persistence.numHistoryShards).toBe(8);
    const stores = config.persistence.datastores;
    expect(stores[config.persistence.defaultStore].sql).toMatchObject({
      pluginName: 'postgres12',
      databaseName: 'temporal',
      connectAddr: '127.0.0.1:5433',
      user: 'temporal',
    });
    expect(stores[config.persistence.visibilityStore].sql.databaseName).toBe('temporal_visibility');
  });

  test('a password with YAML syntax in it survives as data', () => {
    expect(config.persistence.datastores['postgres-default'].sql.password).toBe('p"w: #x');
  });

  test('every service on loopback, on its own port', () => {
    const used = Object.values(config.services).flatMap((s) => {
      const rpc = (s as { rpc: { grpcPort: number; membershipPort: number; bindOnLocalHost: boolean } }).rpc;
      expect(rpc.bindOnLocalHost).toBe(true);
      return [rpc.grpcPort, rpc.membershipPort];
    });
    expect(new Set(used).size).toBe(8);
    expect(config.services.frontend.rpc.grpcPort).toBe(7233);
    expect(config.clusterMetadata.clusterInformation.active.rpcAddress).toBe('127.0.0.1:7233');
  });
});

test("the dynamic configuration cancels a stopping worker's polls, so no task is handed to it and lost", () => {
  const dynamic = parse(temporalDynamicConfig()) as Record<string, { value: unknown }[]>;
  expect(dynamic['frontend.enableCancelWorkerPollsOnShutdown']).toEqual([{ value: true, constraints: {} }]);
  expect(dynamic['frontend.enableUpdateWorkflowExecution']).toEqual([{ value: true, constraints: {} }]);
});

test("the store's URL on the cluster's server carries the credentials, encoded", () => {
  const url = new URL(
    databaseUrl(
      { host: '127.0.0.1', port: 5999, user: 'temporal', password: 'p@ss/w:rd' },
      'durable_runbooks',
    ),
  );
  expect([url.hostname, url.port, url.pathname, decodeURIComponent(url.password)]).toEqual([
    '127.0.0.1',
    '5999',
    '/durable_runbooks',
    'p@ss/w:rd',
  ]);
});

test('the UI server points at the frontend and binds to loopback', () => {
  expect(parse(uiServerConfig({ frontend: 7233, port: 8233 }))).toMatchObject({
    temporalGrpcAddress: '127.0.0.1:7233',
    host: '127.0.0.1',
    port: 8233,
    auth: { enabled: false },
  });
});

test('HAProxy balances over every replica with health checks and forwards the client address', () => {
  const cfg = intakeProxyConfig({ port: 8088, replicas: [9001, 9002] });
  expect(cfg).toContain('bind 127.0.0.1:8088');
  expect(cfg).toContain('server intake-1 127.0.0.1:9001 check');
  expect(cfg).toContain('server intake-2 127.0.0.1:9002 check');
  expect(cfg).toContain('option forwardfor');
  expect(cfg).toMatch(/http-check send .*uri \/healthz/);
});

describe('cluster settings from the environment', () => {
  test('defaults: the ports of npm start, two workers, two intakes', () => {
    expect(clusterSettings({})).toMatchObject({
      workers: 2,
      intakeReplicas: 2,
      temporalPort: 7233,
      uiPort: 8233,
      intakePort: 8088,
      historyShards: 8,
      storeUrl: undefined,
    });
  });
  test("DATABASE_URL puts the store elsewhere than the cluster's own database", () => {
    expect(clusterSettings({ DATABASE_URL: ' postgres://u:p@db:5432/records ' }).storeUrl).toBe(
      'postgres://u:p@db:5432/records',
    );
  });
  test.each(['0', '-1', '1.5', 'two'])('WORKERS=%s is refused, naming the variable', (value) => {
    expect(() => clusterSettings({ WORKERS: value })).toThrow(
      `WORKERS must be a positive whole number, not "${value}"`,
    );
  });
});

describe('INTAKE_TRUSTED_PROXIES', () => {
  test('addresses and CIDR ranges', () => {
    expect(trustedProxiesFromEnv(' 127.0.0.1, 10.0.0.0/8,::1 ')).toEqual(['127.0.0.1', '10.0.0.0/8', '::1']);
    expect(trustedProxiesFromEnv(undefined)).toEqual([]);
  });
  test.each(['localhost', '10.0.0.0/33', '1.2.3.4/8/1', '10.0.0.0/x'])('"%s" is refused', (entry) => {
    expect(() => trustedProxiesFromEnv(entry)).toThrow(`INTAKE_TRUSTED_PROXIES: "${entry}"`);
  });
});

describe('INTAKE_TOKEN', () => {
  test('unset is loopback only; a long random token is taken as it is', () => {
    expect(intakeTokenFromEnv(undefined)).toBeUndefined();
    expect(intakeTokenFromEnv('  ')).toBeUndefined();
    const token = 'a3f9c2e17b5d4086a3f9c2e17b5d4086';
    expect(intakeTokenFromEnv(` ${token} `)).toBe(token);
  });

  test('the shipped placeholder and short tokens stop the start-up, naming the variable', () => {
    expect(() => intakeTokenFromEnv('change-me-to-a-long-random-token')).toThrow(
      /^INTAKE_TOKEN is the placeholder from the example file/,
    );
    expect(() => intakeTokenFromEnv('Change-Me')).toThrow(/placeholder/);
    expect(() => intakeTokenFromEnv('s3cret-but-short')).toThrow(
      /^INTAKE_TOKEN is 16 characters: use at least 32/,
    );
  });
});
