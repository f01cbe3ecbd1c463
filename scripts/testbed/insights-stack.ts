/**
 * The insights-app and its PostgreSQL as containers on a Docker Engine (host network, loopback ports),
 * from locally built images. Used by the drills and the runbook tests.
 */
import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import { Client } from 'pg';
import { PREVIOUS_IMAGE_LABEL, createDockerActivities } from '../../activities/platform/docker';
import { ensureInsightsAppImage, ensurePostgresImage } from './images';
import { freePort } from './local-services';

export interface InsightsStack {
  app: string;
  db: string;
  appPort: number;
  dbPort: number;
  /** Contains the database password: goes to the worker's environment, never into config or history. */
  databaseUrl: string;
  adminToken: string;
  healthUrls: string[];
}

export interface StackOptions {
  prefix: string;
  poolSize?: number;
  fault?: 'none' | 'memory-leak' | 'pool-hold';
  memoryMiB?: number;
  /** Extra required variables the app checks at start (to drill "missing environment variable"). */
  requireEnv?: string[];
  previousImage?: string;
  startApp?: boolean;
  leakMiBPerSecond?: number;
  /** Run this image instead of the locally built one (a "new deployment"); FAULT then comes from it. */
  image?: string;
  /** A log directory of this size (MiB) at /var/log/app, on tmpfs: the disk-full drill fills it. */
  logDirMiB?: number;
}

/** The disk-full fault: a rotated log fills the app's log directory to about 95%. */
export async function fillLogDirectory(docker: Docker, stack: InsightsStack, sizeMiB: number): Promise<void> {
  const filled = await createDockerActivities(docker).runInContainer({
    container: stack.app,
    command: `head -c ${Math.floor(sizeMiB * 0.95 * 1048576)} /dev/zero > /var/log/app/app.log.1`,
  });
  if (filled.exitCode !== 0)
    throw new Error(
      `could not fill ${stack.app}'s log directory: ${filled.noShell ? 'no shell' : filled.lines.join(' ')}`,
    );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitUntil(what: string, probe: () => Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    await sleep(200);
  }
  throw new Error(`${what} not ready within ${timeoutMs / 1000} s`);
}

export async function appHealthy(stack: Pick<InsightsStack, 'appPort'>): Promise<boolean> {
  const res = await fetch(`http://127.0.0.1:${stack.appPort}/health/ready`).catch(() => null);
  return res?.status === 200;
}

export async function deployInsightsStack(docker: Docker, opts: StackOptions): Promise<InsightsStack> {
  const [appImage] = await Promise.all([ensureInsightsAppImage(docker), ensurePostgresImage(docker)]);
  const appPort = await freePort();
  const dbPort = await freePort();
  const password = randomBytes(12).toString('hex');
  const stack: InsightsStack = {
    app: `${opts.prefix}-app`,
    db: `${opts.prefix}-db`,
    appPort,
    dbPort,
    databaseUrl: `postgresql://insights:${password}@127.0.0.1:${dbPort}/postgres`,
    adminToken: randomBytes(12).toString('hex'),
    healthUrls: [`http://127.0.0.1:${appPort}/health`, `http://127.0.0.1:${appPort}/health/ready`],
  };
  await removeInsightsStack(docker, stack);
  const db = await docker.createContainer({
    name: stack.db,
    Image: 'durable-runbooks/postgres:local',
    Env: [
      `POSTGRES_PASSWORD=${password}`,
      'POSTGRES_USER=insights',
      `PGPORT=${dbPort}`,
      'MAX_CONNECTIONS=60',
    ],
    HostConfig: { NetworkMode: 'host' },
  });
  await db.start();
  await waitUntil(
    'insights database',
    async () => {
      const c = new Client({ connectionString: stack.databaseUrl, connectionTimeoutMillis: 1000 });
      await c.connect();
      await c.end();
      return true;
    },
    60_000,
  );
  const app = await docker.createContainer({
    name: stack.app,
    Image: opts.image ?? appImage,
    Env: [
      `DATABASE_URL=${stack.databaseUrl}`,
      `PORT=${appPort}`,
      `DB_POOL_SIZE=${opts.poolSize ?? 5}`,
      `ADMIN_TOKEN=${stack.adminToken}`,
      ...(opts.image ? [] : [`FAULT=${opts.fault ?? 'none'}`]),
      `LEAK_MB_PER_SECOND=${opts.leakMiBPerSecond ?? 8}`,
      ...(opts.requireEnv?.length ? [`REQUIRED_ENV=${opts.requireEnv.join(',')}`] : []),
    ],
    Labels: opts.previousImage ? { [PREVIOUS_IMAGE_LABEL]: opts.previousImage } : {},
    HostConfig: {
      NetworkMode: 'host',
      ...(opts.logDirMiB ? { Tmpfs: { '/var/log/app': `size=${opts.logDirMiB}m` } } : {}),
      Memory: (opts.memoryMiB ?? 256) * 1024 * 1024,
      MemorySwap: (opts.memoryMiB ?? 256) * 1024 * 1024,
    },
  });
  if (opts.startApp !== false) {
    await app.start();
    if (!opts.requireEnv?.length && !opts.image)
      await waitUntil('insights-app', () => appHealthy(stack), 30_000);
  }
  return stack;
}

export async function injectFault(
  stack: InsightsStack,
  fault: 'none' | 'memory-leak' | 'pool-hold' | 'degraded',
): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${stack.appPort}/admin/fault`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ fault }),
  });
  if (res.status !== 202) throw new Error(`fault injection answered ${res.status}`);
}

export async function removeInsightsStack(
  docker: Docker,
  stack: Pick<InsightsStack, 'app' | 'db'>,
): Promise<void> {
  for (const name of [stack.app, `${stack.app}-replaced`, stack.db])
    await docker
      .getContainer(name)
      .remove({ force: true })
      .catch(() => undefined);
}

/**
 * A "new release" of the insights-app whose image turns on a fault (ENV FAULT=...): what a rollback to the
 * previous image must undo.
 */
export async function buildFaultyRelease(
  docker: Docker,
  tag: string,
  fault: 'pool-hold' | 'memory-leak',
): Promise<string> {
  const base = await ensureInsightsAppImage(docker);
  const [repo, version] = tag.split(':');
  const scratch = await docker.createContainer({ Image: base });
  try {
    await scratch.commit({ repo, tag: version, changes: `ENV FAULT=${fault}` });
  } finally {
    await scratch.remove({ force: true });
  }
  return tag;
}
