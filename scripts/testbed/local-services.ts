/** Starts the real servers the project needs (Temporal dev server, dockerd, PostgreSQL) as child processes. */
import { freePort } from '../../workers/free-port';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ConnectionOptions } from '@temporalio/client';
import {
  REPO_ROOT,
  findTemporalCli,
  portOpen,
  splitAddress,
  temporalAnswers,
  waitForTemporal,
} from '../ops/temporal-server';

const run = promisify(execFile);

export interface RunningService {
  name: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

export { freePort };

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Sends `signal` (SIGTERM) to the child's process group, then SIGKILL after `graceMs`; returns once the child
 * and every process of its group are gone (a wrapper such as runuser may exit before what it started).
 */
export async function killGroup(
  child: ChildProcess,
  graceMs = 5000,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<void> {
  const pgid = child.pid;
  if (!pgid) return;
  const running = child.exitCode === null && child.signalCode === null;
  if (!running && !groupAlive(pgid)) return;
  const exited = running
    ? new Promise<void>((resolve) => child.once('exit', () => resolve()))
    : Promise.resolve();
  const send = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pgid, sig);
    } catch {
      /* already gone */
    }
  };
  send(signal);
  const deadline = Date.now() + graceMs;
  const timer = setTimeout(() => send('SIGKILL'), graceMs);
  await exited;
  while (groupAlive(pgid)) {
    if (Date.now() > deadline + 5000) break; // SIGKILLed and still listed: a zombie nobody reaps
    await new Promise((r) => setTimeout(r, 50));
  }
  clearTimeout(timer);
}

export function spawnLogged(
  command: string,
  args: string[],
  logFile: string,
  env?: NodeJS.ProcessEnv,
): ChildProcess {
  mkdirSync(path.dirname(logFile), { recursive: true });
  const out = openSync(logFile, 'a');
  // Its own process group (stopped with killGroup); the child keeps the log open, we need not.
  const child = spawn(command, args, {
    detached: true,
    stdio: ['ignore', out, out],
    env: env ?? process.env,
  });
  closeSync(out);
  return child;
}

/** The last lines of a log, shortened, for an error message. */
function logTail(logFile: string): string {
  try {
    const last = readFileSync(logFile, 'utf8').trim().split('\n').slice(-2);
    return last.map((line) => line.slice(0, 400)).join(' | ');
  } catch {
    return 'no output';
  }
}

/** Polls `probe` until it holds; throws, with the log's last lines, if `child` exits or time runs out first. */
export async function waitFor(
  what: string,
  probe: () => Promise<boolean>,
  child: ChildProcess,
  logFile: string,
  timeoutMs: number,
) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(
        `${what} exited (${child.signalCode ?? `code ${child.exitCode}`}): ${logTail(logFile)}; see ${logFile}`,
      );
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not come up within ${timeoutMs / 1000} s; see ${logFile}`);
}

export interface TemporalDevServer extends RunningService {
  address: string;
  uiUrl: string;
}

/** The official CLI's dev server with its Web UI, persisting to SQLite in `stateDir`. */
export async function startTemporalDevServer(
  stateDir: string,
  opts: {
    port?: number;
    uiPort?: number;
    headless?: boolean;
    /** Dynamic configuration values (e.g. `limit.blobSize.error`), as the CLI's --dynamic-config-value. */
    dynamicConfig?: Record<string, number | string | boolean>;
  } = {},
): Promise<TemporalDevServer> {
  const cli = findTemporalCli();
  if (!cli)
    throw new Error(
      'the Temporal CLI is missing: run `npm run provision` (needs Go) or install `temporal` on PATH',
    );
  mkdirSync(stateDir, { recursive: true });
  const port = opts.port ?? (await freePort());
  const uiPort = opts.uiPort ?? (await freePort());
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--db-filename',
    path.join(stateDir, 'temporal.db'),
    '--log-level',
    'warn',
  ];
  args.push(...(opts.headless ? ['--headless'] : ['--ui-port', String(uiPort), '--ui-ip', '127.0.0.1']));
  for (const name of ['IncidentSeverity', 'IncidentService', 'IncidentScenario', 'IncidentStatus'])
    args.push('--search-attribute', `${name}=Keyword`);
  for (const [key, value] of Object.entries(opts.dynamicConfig ?? {}))
    args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  const logFile = path.join(stateDir, 'temporal.log');
  const child = spawnLogged(cli, args, logFile);
  const address = `127.0.0.1:${port}`;
  await waitFor(
    'the Temporal dev server',
    async () =>
      (await portOpen('127.0.0.1', port)) &&
      (await waitForTemporal(address, 1500).then(
        () => true,
        () => false,
      )),
    child,
    logFile,
    60_000,
  );
  return {
    name: 'temporal',
    child,
    address,
    uiUrl: `http://127.0.0.1:${uiPort}`,
    stop: () => killGroup(child),
  };
}

export interface DockerEngine extends RunningService {
  socket: string;
}

/**
 * dockerd on a project-local socket and data root. No bridge and no iptables: containers use the host
 * network, so every port they open is on loopback.
 */
export async function startDockerd(stateDir: string): Promise<DockerEngine> {
  mkdirSync(stateDir, { recursive: true });
  const socket = path.join(stateDir, 'docker.sock');
  const logFile = path.join(stateDir, 'dockerd.log');
  rmSync(socket, { force: true });
  const args = [
    '--host',
    `unix://${socket}`,
    '--data-root',
    path.join(stateDir, 'data'),
    '--exec-root',
    path.join(stateDir, 'exec'),
    '--pidfile',
    path.join(stateDir, 'dockerd.pid'),
    '--bridge',
    'none',
    '--iptables=false',
    '--ip6tables=false',
    '--storage-driver',
    'vfs',
    '--log-level',
    'warn',
  ];
  const child = spawnLogged('dockerd', args, logFile);
  await waitFor(
    'dockerd',
    async () => {
      if (!existsSync(socket)) return false;
      try {
        await run('docker', ['-H', `unix://${socket}`, 'version', '--format', '{{.Server.Version}}'], {
          timeout: 5000,
        });
        return true;
      } catch {
        return false;
      }
    },
    child,
    logFile,
    60_000,
  );
  return { name: 'dockerd', child, socket, stop: () => killGroup(child, 15_000) };
}

export interface Postgres extends RunningService {
  port: number;
  url: string;
  adminUrl: string;
}

export function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(path.join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length ? path.join(root, versions[0], 'bin') : undefined;
}

/** Whether PostgreSQL, run as the `postgres` user when we are root, can reach `dir` (every parent included). */
export async function postgresCanEnter(dir: string): Promise<boolean> {
  if (process.getuid?.() !== 0) return true;
  return run('runuser', ['-u', 'postgres', '--', 'test', '-x', dir]).then(
    () => true,
    () => false,
  );
}

export interface PostgresCluster {
  stateDir: string;
  user: string;
  password: string;
  /** The server's command line for `port` (run as the `postgres` user when we are root). */
  command(port: number): [string, string[]];
}

/**
 * A database cluster (initdb) in `stateDir`, owned by the `postgres` user when we are root: thrown away and
 * made anew unless `keep` (then an existing one is used as it is). Throwaway ones run without fsync.
 */
export async function initPostgres(
  stateDir: string,
  opts: { keep?: boolean; user?: string; password?: string } = {},
): Promise<PostgresCluster> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL server binaries are missing: apt-get install postgresql');
  const dataDir = path.join(stateDir, 'data');
  const dbUser = opts.user ?? 'insights';
  const password = opts.password ?? 'runbooks-test';
  const asRoot = process.getuid?.() === 0;
  const asPostgres = (cmd: string, args: string[]) =>
    (asRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args]) as [string, string[]];
  if (!opts.keep || !existsSync(path.join(dataDir, 'PG_VERSION'))) {
    rmSync(stateDir, { recursive: true, force: true });
    mkdirSync(stateDir, { recursive: true });
    if (!(await postgresCanEnter(stateDir)))
      throw new Error(
        `PostgreSQL runs as the postgres user, which cannot enter ${stateDir}: choose a directory whose parents it can enter (mode 755)`,
      );
    if (asRoot) {
      chmodSync(stateDir, 0o777);
      await run('chown', ['-R', 'postgres:postgres', stateDir]);
    }
    const pwFile = path.join(stateDir, 'pw');
    writeFileSync(pwFile, `${password}\n`, { mode: 0o644 });
    await run(
      ...asPostgres(path.join(bin, 'initdb'), [
        '-D',
        dataDir,
        '-U',
        dbUser,
        '--pwfile',
        pwFile,
        '-A',
        'scram-sha-256',
        '--no-sync',
        '-E',
        'UTF8',
      ]),
    );
    rmSync(pwFile);
  }
  return {
    stateDir,
    user: dbUser,
    password,
    command: (port) =>
      asPostgres(path.join(bin, 'postgres'), [
        '-D',
        dataDir,
        '-p',
        String(port),
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        `unix_socket_directories=${stateDir}`,
        '-c',
        `fsync=${opts.keep ? 'on' : 'off'}`,
        '-c',
        'max_connections=200',
      ]),
  };
}

export function postgresUrl(cluster: Pick<PostgresCluster, 'user' | 'password'>, port: number): string {
  return `postgresql://${cluster.user}:${encodeURIComponent(cluster.password)}@127.0.0.1:${port}/postgres`;
}

/** A throwaway cluster on a free port, for the tests. */
export async function startPostgres(stateDir: string, opts: { port?: number } = {}): Promise<Postgres> {
  const cluster = await initPostgres(stateDir);
  const port = opts.port ?? (await freePort());
  const logFile = path.join(stateDir, 'postgres.log');
  const child = spawnLogged(...cluster.command(port), logFile);
  await waitFor('PostgreSQL', () => portOpen('127.0.0.1', port), child, logFile, 30_000);
  const url = postgresUrl(cluster, port);
  return { name: 'postgres', child, port, url, adminUrl: url, stop: () => killGroup(child, 10_000) };
}

/** Builds the Temporal CLI into .tools/bin (showing go's progress) unless one is already there or on PATH. */
export async function ensureTemporalCli(): Promise<void> {
  if (findTemporalCli()) return;
  await new Promise<void>((resolve, reject) => {
    const child = spawn('bash', [path.join(REPO_ROOT, 'scripts', 'ops', 'provision.sh'), 'cli'], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error('could not obtain the Temporal CLI (see above)')),
    );
  });
}

/**
 * The Temporal server at `address` when one answers there; otherwise the CLI dev server on that port with
 * its UI on 8233 and SQLite in `stateDir` (the caller stops `devServer` when it is done).
 */
export async function ensureTemporal(
  address: string,
  stateDir: string,
  log: (line: string) => void,
  /** TLS, API key: how the server at `address` is reached (the SDK's environment configuration). */
  connect: Omit<ConnectionOptions, 'address'> = {},
): Promise<{ address: string; uiUrl: string; devServer?: TemporalDevServer }> {
  if (await temporalAnswers(address, 2000, connect)) {
    log(`using the Temporal server at ${address}`);
    return { address, uiUrl: process.env.TEMPORAL_UI_URL ?? 'http://127.0.0.1:8233' };
  }
  const { host, port } = splitAddress(address);
  if (await portOpen(host, port))
    throw new Error(
      `${address} is in use but does not answer as Temporal; set TEMPORAL_ADDRESS (and TEMPORAL_TLS_* or TEMPORAL_API_KEY for a secured server) or free the port`,
    );
  await ensureTemporalCli();
  log(`starting the Temporal dev server (SQLite: ${path.join(stateDir, 'temporal.db')})...`);
  const devServer = await startTemporalDevServer(stateDir, { port, uiPort: 8233 });
  return { address: devServer.address, uiUrl: devServer.uiUrl, devServer };
}
