/**
 * `npm run cluster`: the production topology on one machine. A Temporal server (built by provisioning) on
 * PostgreSQL — persistence and SQL visibility — with its Web UI server, WORKERS workers (default 2) and
 * INTAKE_REPLICAS intakes (default 2) behind HAProxy on 127.0.0.1:8088, and the API over the store on
 * 127.0.0.1:8089, every process supervised (one that dies is started again). Ctrl-C stops all of them.
 * Temporal's frontend is on 127.0.0.1:7233 and the UI on 127.0.0.1:8233, as with `npm start`, so the
 * documented commands work unchanged.
 *
 * Settings (environment): CLUSTER_DIR (state, default .data/cluster), TEMPORAL_PG_URL (an existing
 * PostgreSQL instead of a local one; its user must be able to create databases), WORKERS, INTAKE_REPLICAS,
 * CLUSTER_TEMPORAL_PORT, CLUSTER_UI_PORT, INTAKE_PORT, API_PORT, CLUSTER_HISTORY_SHARDS (fixed when the
 * databases are created; default 8), INTAKE_TOKEN (passed to the intakes), CLUSTER_FRESH=1 (empty
 * databases), DATABASE_URL (the store elsewhere; by default it is the database `durable_runbooks` on the
 * cluster's PostgreSQL, migrated at start and handed to every worker, intake and the API as their
 * DATABASE_URL).
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../config';
import { DEFAULT_API_PORT } from '../../config/api-address';
import { openStore } from '../../store';
import {
  intakeProxyConfig,
  STORE_DATABASE,
  temporalDynamicConfig,
  temporalServerConfig,
  uiServerConfig,
  type ClusterDatabase,
  type TemporalServerPorts,
} from './cluster-config';
import {
  databaseOf,
  ensureClusterBinaries,
  ensureNamespace,
  freePortsBelow,
  httpOk,
  localDatabasePassword,
  loggedLine,
  migrateSchemas,
  NAMESPACE,
  postgresDataDir,
} from './cluster-setup';
import { freePort, initPostgres, postgresUrl } from '../testbed/local-services';
import { Supervisor } from './supervisor';
import { REPO_ROOT, TOOLS_BIN, portOpen, temporalAnswers } from './temporal-server';

export interface ClusterSettings {
  stateDir: string;
  pgUrl?: string;
  workers: number;
  intakeReplicas: number;
  temporalPort: number;
  uiPort: number;
  intakePort: number;
  /** The API's port; undefined: no API process (throwaway clusters that measure the engine). */
  apiPort?: number;
  historyShards: number;
  intakeToken?: string;
  /** DATABASE_URL: the store on a PostgreSQL of one's own instead of the cluster's `durable_runbooks`. */
  storeUrl?: string;
  /** Start from empty databases (benchmarks, chaos runs) instead of keeping the data of earlier runs. */
  fresh: boolean;
}

function positive(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive whole number, not "${raw}"`);
  return n;
}

export function clusterSettings(env: NodeJS.ProcessEnv = process.env): ClusterSettings {
  return {
    stateDir: path.resolve(REPO_ROOT, env.CLUSTER_DIR ?? path.join('.data', 'cluster')),
    pgUrl: env.TEMPORAL_PG_URL || undefined,
    workers: positive(env, 'WORKERS', 2),
    intakeReplicas: positive(env, 'INTAKE_REPLICAS', 2),
    temporalPort: positive(env, 'CLUSTER_TEMPORAL_PORT', 7233),
    uiPort: positive(env, 'CLUSTER_UI_PORT', 8233),
    intakePort: positive(env, 'INTAKE_PORT', 8088),
    apiPort: positive(env, 'API_PORT', DEFAULT_API_PORT),
    historyShards: positive(env, 'CLUSTER_HISTORY_SHARDS', 8),
    intakeToken: env.INTAKE_TOKEN || undefined,
    storeUrl: env.DATABASE_URL?.trim() || undefined,
    fresh: env.CLUSTER_FRESH === '1',
  };
}

export interface RunningCluster {
  supervisor: Supervisor;
  settings: ClusterSettings;
  temporalAddress: string;
  /** The store's database URL (holds a password: never log it). */
  storeUrl: string;
  uiUrl: string;
  intakeUrl: string;
  /** The API's base URL (`…/api/v1` below it), when the cluster runs one. */
  apiUrl?: string;
  pidFile: string;
  stop(): Promise<void>;
}

/**
 * The application's replicas on a running Temporal: `settings.workers` workers, `settings.intakeReplicas`
 * intakes and the HAProxy in front of them on `settings.intakePort`, and with a store and `settings.apiPort`
 * the API, all under `supervisor`.
 */
export async function startReplicas(
  supervisor: Supervisor,
  settings: ClusterSettings,
  temporalAddress: string,
  log: (line: string) => void,
  /** The store's PostgreSQL, handed to every worker and intake as DATABASE_URL (else they use PGlite). */
  storeUrl?: string,
): Promise<void> {
  const logDir = path.join(settings.stateDir, 'logs');
  const stateDir = settings.stateDir;
  const temporalEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_NAMESPACE: NAMESPACE,
    ...(storeUrl ? { DATABASE_URL: storeUrl } : {}),
  };
  const tsx = (script: string) => ['-r', 'tsx/cjs', path.join(REPO_ROOT, script)];
  log(`starting ${settings.workers} worker(s) and ${settings.intakeReplicas} intake replicas...`);
  await Promise.all(
    Array.from({ length: settings.workers }, (_, i) => {
      const name = `worker-${i + 1}`;
      return supervisor.start({
        name,
        command: process.execPath,
        args: tsx('workers/main.ts'),
        env: temporalEnv,
        ready: loggedLine(path.join(logDir, `${name}.log`), /worker polling task queue/),
        readyTimeoutMs: 120_000,
        stopGraceMs: 30_000, // the worker finishes its running activities on SIGTERM
      });
    }),
  );
  const replicaPorts = await Promise.all(Array.from({ length: settings.intakeReplicas }, () => freePort()));
  await Promise.all(
    replicaPorts.map((port, i) =>
      supervisor.start({
        name: `intake-${i + 1}`,
        command: process.execPath,
        args: tsx('intake/main.ts'),
        env: {
          ...temporalEnv,
          INTAKE_HOST: '127.0.0.1',
          INTAKE_PORT: String(port),
          INTAKE_TRUSTED_PROXIES: '127.0.0.1',
          ...(settings.intakeToken ? { INTAKE_TOKEN: settings.intakeToken } : {}),
        },
        ready: () => httpOk(`http://127.0.0.1:${port}/healthz`),
        readyTimeoutMs: 120_000,
      }),
    ),
  );
  const proxyConfig = path.join(stateDir, 'haproxy.cfg');
  writeFileSync(proxyConfig, intakeProxyConfig({ port: settings.intakePort, replicas: replicaPorts }));
  await supervisor.start({
    name: 'intake-proxy',
    command: 'haproxy',
    args: ['-db', '-f', proxyConfig],
    ready: () => httpOk(`http://127.0.0.1:${settings.intakePort}/healthz`),
  });
  if (storeUrl && settings.apiPort !== undefined) {
    log(`starting the API on 127.0.0.1:${settings.apiPort}...`);
    await supervisor.start({
      name: 'api',
      command: process.execPath,
      args: tsx('workers/api-main.ts'),
      env: { ...temporalEnv, API_HOST: '127.0.0.1', API_PORT: String(settings.apiPort) },
      ready: () => httpOk(`http://127.0.0.1:${settings.apiPort}/healthz`),
      readyTimeoutMs: 120_000,
    });
  }
}

/** A configuration file's content, as far as a throwaway cluster changes it. */
export type RawConfig = Record<string, Record<string, unknown>>;

/**
 * A throwaway cluster's settings (benchmarks, chaos runs): `stateDir` emptied; the configuration of
 * `baseConfigFile` written there, with the notification journal in `stateDir`, the intake's per-source limit
 * lifted (every post comes through one proxy from one client: the limit would measure itself) and whatever
 * `adjust` changes, and handed to every process through RUNBOOKS_CONFIG; every port free; empty databases.
 */
export async function scratchClusterSettings(
  stateDir: string,
  workers: number,
  baseConfigFile: string,
  adjust: (raw: RawConfig) => void = () => undefined,
): Promise<{ settings: ClusterSettings; journalFile: string }> {
  rmSync(stateDir, { recursive: true, force: true });
  mkdirSync(stateDir, { recursive: true });
  const journalFile = path.join(stateDir, 'journal.jsonl');
  const raw = JSON.parse(readFileSync(baseConfigFile, 'utf8')) as RawConfig;
  raw.journal = { ...raw.journal, file: journalFile };
  raw.intake = { ...raw.intake, rateLimit: { max: 1_000_000, window: '1s' }, maxEventLoopDelay: '10s' };
  adjust(raw);
  const configFile = path.join(stateDir, 'runbooks.json');
  writeFileSync(configFile, JSON.stringify(raw, null, 2));
  process.env.RUNBOOKS_CONFIG = configFile; // the workers and intakes inherit it
  const settings = clusterSettings({
    ...process.env,
    CLUSTER_DIR: stateDir,
    CLUSTER_TEMPORAL_PORT: String(await freePort()),
    CLUSTER_UI_PORT: String(await freePort()),
    INTAKE_PORT: String(await freePort()),
    CLUSTER_FRESH: '1',
    WORKERS: String(workers),
  });
  settings.apiPort = undefined; // what these measure is the engine and the intake
  return { settings, journalFile };
}

/** The supervisor of a cluster's processes (made first, so that a Ctrl-C during start-up stops them). */
export function clusterSupervisor(settings: ClusterSettings, log: (line: string) => void): Supervisor {
  mkdirSync(settings.stateDir, { recursive: true });
  return new Supervisor(path.join(settings.stateDir, 'logs'), log, path.join(settings.stateDir, 'pids.json'));
}

export async function startCluster(
  settings: ClusterSettings,
  log: (line: string) => void,
  supervisor = clusterSupervisor(settings, log),
): Promise<RunningCluster> {
  for (const [what, port] of [
    ['Temporal frontend (CLUSTER_TEMPORAL_PORT)', settings.temporalPort],
    ['Temporal UI (CLUSTER_UI_PORT)', settings.uiPort],
    ['intake (INTAKE_PORT)', settings.intakePort],
    ...(settings.apiPort === undefined ? [] : [['API (API_PORT)', settings.apiPort] as const]),
  ] as const)
    if (await portOpen('127.0.0.1', port))
      throw new Error(
        `port ${port} for the ${what} is in use (is \`npm start\` running?): free it or set ${what.match(/\((\w+)\)/)![1]}`,
      );
  await ensureClusterBinaries();
  const { stateDir } = settings;
  const pidFile = path.join(stateDir, 'pids.json');
  const stop = () => supervisor.stop();
  try {
    // PostgreSQL: the one named by TEMPORAL_PG_URL, else a local cluster kept in the state directory.
    let database: ClusterDatabase;
    if (settings.pgUrl) {
      database = databaseOf(settings.pgUrl);
      log(`using PostgreSQL at ${database.host}:${database.port}`);
    } else {
      const pgDir = await postgresDataDir(stateDir, log);
      const password = localDatabasePassword(stateDir);
      const cluster = await initPostgres(pgDir, { keep: !settings.fresh, user: 'temporal', password }).catch(
        (err: Error) => {
          throw new Error(
            `${err.message} (set CLUSTER_DIR, or TEMPORAL_PG_URL to use an existing PostgreSQL)`,
          );
        },
      );
      const port = await freePort();
      const [command, args] = cluster.command(port);
      log(`starting PostgreSQL on 127.0.0.1:${port} (data in ${pgDir})...`);
      await supervisor.start({
        name: 'postgres',
        command,
        args,
        ready: () => portOpen('127.0.0.1', port),
        stopGraceMs: 15_000,
        stopSignal: 'SIGINT', // fast shutdown: SIGTERM would wait for the server's connections to close
      });
      database = databaseOf(postgresUrl(cluster, port));
    }
    // The store: the one named by DATABASE_URL, else a database of its own beside Temporal's.
    const ownStore = await migrateSchemas(database, log);
    const storeUrl = settings.storeUrl ?? ownStore;
    await (await openStore({ databaseUrl: storeUrl })).close(); // migrated before any replica starts

    // The Temporal server: every service in one process, ports fixed for this run.
    const temporalDir = path.join(stateDir, 'temporal');
    mkdirSync(temporalDir, { recursive: true });
    // The server records its services' ports in a smallint column: they must be below 32768, where the
    // system's ephemeral ports (which freePort hands out) are not.
    const internal = await freePortsBelow(32768, 9, [
      settings.temporalPort,
      settings.uiPort,
      settings.intakePort,
      ...(settings.apiPort === undefined ? [] : [settings.apiPort]),
    ]);
    const ports: TemporalServerPorts = {
      frontend: settings.temporalPort,
      frontendHttp: internal[0],
      history: internal[1],
      matching: internal[2],
      worker: internal[3],
      frontendMembership: internal[4],
      historyMembership: internal[5],
      matchingMembership: internal[6],
      workerMembership: internal[7],
      metrics: internal[8],
    };
    const dynamicConfigFile = path.join(temporalDir, 'dynamicconfig.yaml');
    writeFileSync(dynamicConfigFile, temporalDynamicConfig());
    const serverConfigFile = path.join(temporalDir, 'config.yaml');
    writeFileSync(
      serverConfigFile,
      temporalServerConfig({ ports, database, historyShards: settings.historyShards, dynamicConfigFile }),
      { mode: 0o600 }, // it holds the database password
    );
    const temporalAddress = `127.0.0.1:${ports.frontend}`;
    log(
      `starting the Temporal server (frontend ${temporalAddress}, ${settings.historyShards} history shards)...`,
    );
    await supervisor.start({
      name: 'temporal-server',
      command: path.join(TOOLS_BIN, 'temporal-server'),
      args: ['--config-file', serverConfigFile, '--allow-no-auth', 'start'],
      ready: () => temporalAnswers(temporalAddress, 1500),
      readyTimeoutMs: 120_000,
      stopGraceMs: 20_000,
    });
    await ensureNamespace(temporalAddress);

    const uiRoot = path.join(stateDir, 'ui');
    mkdirSync(path.join(uiRoot, 'config'), { recursive: true });
    const uiConfig = uiServerConfig({ frontend: ports.frontend, port: settings.uiPort });
    writeFileSync(path.join(uiRoot, 'config', 'base.yaml'), uiConfig);
    writeFileSync(path.join(uiRoot, 'config', 'cluster.yaml'), uiConfig);
    const uiUrl = `http://127.0.0.1:${settings.uiPort}`;
    await supervisor.start({
      name: 'temporal-ui',
      command: path.join(TOOLS_BIN, 'temporal-ui-server'),
      args: ['--root', uiRoot, '--config', 'config', '--env', 'cluster', 'start'],
      ready: () => httpOk(uiUrl),
    });

    await startReplicas(supervisor, settings, temporalAddress, log, storeUrl);
    return {
      storeUrl,
      supervisor,
      settings,
      temporalAddress,
      uiUrl,
      intakeUrl: `http://127.0.0.1:${settings.intakePort}`,
      apiUrl: settings.apiPort === undefined ? undefined : `http://127.0.0.1:${settings.apiPort}`,
      pidFile,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function main() {
  loadConfig(); // fail fast, naming the bad key
  const settings = clusterSettings();
  const log = (line: string) => console.log(`[cluster] ${line}`);
  const supervisor = clusterSupervisor(settings, log);
  let stopping = false;
  const stop = async (why: string) => {
    if (stopping) return;
    stopping = true;
    log(`${why}: stopping the API, proxy, intakes, workers, UI, Temporal server and PostgreSQL...`);
    await supervisor.stop();
    log('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  const cluster = await startCluster(settings, log, supervisor);
  const auth = settings.intakeToken ? ` -H "Authorization: Bearer $INTAKE_TOKEN"` : '';
  console.log(
    [
      '',
      'Durable Runbooks is running on a Temporal cluster.',
      `  Temporal gRPC : ${cluster.temporalAddress} (PostgreSQL, ${settings.historyShards} history shards)`,
      `  Temporal UI   : ${cluster.uiUrl}/namespaces/${NAMESPACE}/workflows`,
      `  Alert intake  : ${cluster.intakeUrl} (HAProxy → ${settings.intakeReplicas} intake replicas)`,
      `  Workers       : ${settings.workers}`,
      `  API           : ${cluster.apiUrl}/api/v1 (durable-runbooks token create <contact> to let people in)`,
      `  Store         : ${settings.storeUrl ? 'PostgreSQL at DATABASE_URL' : `PostgreSQL database ${STORE_DATABASE}`} (DATABASE_URL of every worker, intake and the API)`,
      `  Logs and pids : ${path.join(settings.stateDir, 'logs')}, ${cluster.pidFile}`,
      '',
      'Fire a test alert:',
      `  curl -sS -X POST ${cluster.intakeUrl}/alerts -H 'content-type: application/json'${auth} \\`,
      `    -d '{"service":"checkout","summary":"checkout health check failing","severity":"P1","dedupKey":"demo-1"}'`,
      '',
      'CLUSTER READY. Press Ctrl-C to stop.',
    ].join('\n'),
  );
}

if (require.main === module)
  main().catch((err) => {
    console.error(`[cluster] ${err instanceof Error ? err.message : err}`);
    process.exit(1);
  });
