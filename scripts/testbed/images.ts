/**
 * Container images built locally with `docker import` from host files: no registry is involved. The Node
 * image holds the host's node binary and the libraries it links; app images add their files on top.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import { postgresBinDir } from './local-services';

const run = promisify(execFile);

export const NODE_IMAGE = 'durable-runbooks/node:local';
export const INSIGHTS_APP_IMAGE = 'durable-runbooks/insights-app:local';
export const POSTGRES_IMAGE = 'durable-runbooks/postgres:local';
/** A POSIX shell and the tools a runbook's probes and commands use (df, ps, rm…), as most app images have. */
export const SHELL_IMAGE = 'durable-runbooks/shell:local';
const RECIPE_LABEL = 'durable-runbooks.recipe';
const SHELL_TOOLS = [
  'dash',
  'df',
  'rm',
  'ps',
  'cat',
  'sleep',
  'dd',
  'grep',
  'tr',
  'cut',
  'ls',
  'du',
  'head',
  'tail',
];
const ROOT = path.resolve(__dirname, '..', '..');

async function sharedLibraries(binary: string): Promise<string[]> {
  const { stdout } = await run('ldd', [binary]);
  return stdout
    .split('\n')
    .map((line) => /(\/\S+)\s+\(0x/.exec(line)?.[1])
    .filter((p): p is string => Boolean(p));
}

export async function imageExists(docker: Docker, tag: string): Promise<boolean> {
  try {
    await docker.getImage(tag).inspect();
    return true;
  } catch {
    return false;
  }
}

/**
 * Packs host paths (and `extra` trees mapped to container paths) into a rootfs tarball and imports it.
 * `changes` are Dockerfile instructions applied at import (CMD, ENV, WORKDIR).
 */
export async function importRootfs(
  docker: Docker,
  tag: string,
  hostPaths: string[],
  opts: { extra?: { from: string; to: string }[]; changes?: string[] } = {},
): Promise<void> {
  const staging = mkdtempSync(path.join(os.tmpdir(), 'rootfs-'));
  try {
    const tarball = path.join(staging, 'rootfs.tar');
    const list = path.join(staging, 'files');
    const relative = hostPaths.map((p) => p.replace(/^\//, ''));
    // Parent directories go in first, with the host's modes: left implicit, the engine makes them 0700.
    const parents = new Set<string>();
    for (const p of relative)
      for (let d = path.dirname(p); d !== '.' && d !== '/'; d = path.dirname(d)) parents.add(d);
    // Directories that an extra tree brings itself must not appear twice in one layer.
    for (const { from, to } of opts.extra ?? []) {
      const prefix = to.replace(/^\//, '').replace(/\/$/, '');
      const { stdout } = await run('find', [from, '-type', 'd']);
      for (const dir of stdout.split('\n').filter(Boolean)) {
        const rel = path.relative(from, dir);
        parents.delete(prefix ? path.join(prefix, rel).replace(/\/$/, '') : rel);
      }
    }
    const dirList = path.join(staging, 'dirs');
    writeFileSync(dirList, [...parents].sort().join('\n') + '\n');
    writeFileSync(list, relative.join('\n') + '\n');
    await run('tar', ['-C', '/', '--dereference', '--no-recursion', '-cf', tarball, '-T', dirList]);
    await run('tar', ['-C', '/', '--dereference', '-rf', tarball, '-T', list]);
    for (const { from, to } of opts.extra ?? []) {
      await run('chmod', ['-R', 'a+rX', from]); // mkdtemp makes 0700 dirs: the image's users must read them
      const prefix = to.replace(/^\//, '').replace(/\/$/, '');
      await run('tar', [
        '-C',
        from,
        '--transform',
        prefix ? `s,^\\.,${prefix},` : 's,^\\./,,',
        '-rf',
        tarball,
        '.',
      ]);
    }
    // tmp must exist and be writable in every image.
    const tmpRoot = path.join(staging, 'tmproot');
    await run('mkdir', ['-p', path.join(tmpRoot, 'tmp')]);
    await run('chmod', ['1777', path.join(tmpRoot, 'tmp')]);
    await run('tar', ['-C', tmpRoot, '-rf', tarball, 'tmp']);
    const [repo, version] = tag.split(':');
    const stream: NodeJS.ReadableStream = await docker.importImage(createReadStream(tarball), {
      repo,
      tag: version ?? 'latest',
      changes: opts.changes ?? [],
    });
    await new Promise<void>((resolve, reject) =>
      docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve())),
    );
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** The base image for Node programs: node, its libraries, the dynamic loader, CA-free and shell-free. */
export async function ensureNodeImage(docker: Docker): Promise<string> {
  if (await imageExists(docker, NODE_IMAGE)) return NODE_IMAGE;
  const node = (await run('readlink', ['-f', process.execPath])).stdout.trim();
  const libs = await sharedLibraries(node);
  await importRootfs(docker, NODE_IMAGE, [node, ...libs, '/etc/ld.so.cache'], {
    changes: [`CMD ["${node}", "-e", "setInterval(() => {}, 1 << 30)"]`, 'ENV NODE_ENV=production'],
  });
  return NODE_IMAGE;
}

/**
 * Debian's dash and the coreutils/procps tools (with their libraries) for an image, `sh` linked to dash in
 * `binDir` (a staging tree mapped to `/`): what a runbook's disk, process and command probes use.
 */
async function shellTools(binDir: string): Promise<string[]> {
  const tools: string[] = [];
  for (const t of SHELL_TOOLS)
    tools.push((await run('sh', ['-c', `readlink -f "$(command -v ${t})"`])).stdout.trim());
  const libs = new Set<string>();
  for (const t of tools) for (const lib of await sharedLibraries(t)) libs.add(lib);
  await run('mkdir', ['-p', path.join(binDir, 'bin')]);
  await run('ln', ['-sf', '/usr/bin/dash', path.join(binDir, 'bin', 'sh')]);
  return [...tools, ...libs];
}

/** A shell and its tools only; the container sleeps until stopped. */
export async function ensureShellImage(docker: Docker): Promise<string> {
  if (await imageExists(docker, SHELL_IMAGE)) return SHELL_IMAGE;
  const staging = mkdtempSync(path.join(os.tmpdir(), 'shell-image-'));
  try {
    const tools = await shellTools(staging);
    await importRootfs(docker, SHELL_IMAGE, [...tools, '/etc/ld.so.cache'], {
      extra: [{ from: staging, to: '/' }],
      changes: ['ENV PATH=/usr/bin:/bin', 'CMD ["/usr/bin/sleep", "infinity"]'],
    });
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return SHELL_IMAGE;
}

/** The package and everything it depends on, as directories under node_modules. */
function dependencyClosure(names: string[]): string[] {
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    const manifest = JSON.parse(
      readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8'),
    ) as { dependencies?: Record<string, string> };
    for (const dep of Object.keys(manifest.dependencies ?? {}))
      if (existsSync(path.join(ROOT, 'node_modules', dep))) visit(dep);
  };
  names.forEach(visit);
  return [...seen];
}

/**
 * examples/insights-app on top of the Node base: the app and the pg client with its dependencies, and a
 * shell with its tools, as most application images have (the disk-full drill cleans its logs with them).
 */
export async function ensureInsightsAppImage(docker: Docker, tag = INSIGHTS_APP_IMAGE): Promise<string> {
  // The image is rebuilt when the app or its recipe changed since it was built (engines keep old images).
  const recipe = createHash('sha256')
    .update(readFileSync(path.join(ROOT, 'examples', 'insights-app', 'server.js')))
    .update(SHELL_TOOLS.join(','))
    .digest('hex')
    .slice(0, 16);
  const built = await docker
    .getImage(tag)
    .inspect()
    .catch(() => null);
  if (built?.Config?.Labels?.[RECIPE_LABEL] === recipe) return tag;
  const node = (await run('readlink', ['-f', process.execPath])).stdout.trim();
  const staging = mkdtempSync(path.join(os.tmpdir(), 'insights-app-'));
  const shell = mkdtempSync(path.join(os.tmpdir(), 'insights-shell-'));
  try {
    await run('cp', [path.join(ROOT, 'examples', 'insights-app', 'server.js'), staging]);
    await run('mkdir', ['-p', path.join(staging, 'node_modules')]);
    for (const dep of dependencyClosure(['pg'])) {
      await run('mkdir', ['-p', path.dirname(path.join(staging, 'node_modules', dep))]);
      await run('cp', ['-r', path.join(ROOT, 'node_modules', dep), path.join(staging, 'node_modules', dep)]);
    }
    const libs = await sharedLibraries(node);
    const tools = await shellTools(shell);
    await importRootfs(docker, tag, [...new Set([node, ...libs, ...tools, '/etc/ld.so.cache'])], {
      extra: [
        { from: staging, to: '/app' },
        { from: shell, to: '/' },
      ],
      changes: [
        'WORKDIR /app',
        `CMD ["${node}", "/app/server.js"]`,
        'ENV NODE_ENV=production',
        'ENV PATH=/usr/bin:/bin',
        `LABEL ${RECIPE_LABEL}=${recipe}`,
      ],
    });
  } finally {
    rmSync(staging, { recursive: true, force: true });
    rmSync(shell, { recursive: true, force: true });
  }
  return tag;
}

/** PostgreSQL from the host's Debian binaries, initialised on first start by a small entrypoint. */
export async function ensurePostgresImage(docker: Docker): Promise<string> {
  if (await imageExists(docker, POSTGRES_IMAGE)) return POSTGRES_IMAGE;
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL server binaries are missing: apt-get install postgresql');
  const version = path.basename(path.dirname(bin));
  const binaries = ['postgres', 'initdb', 'pg_ctl', 'pg_isready'].map((b) => path.join(bin, b));
  const libs = new Set<string>();
  for (const b of [...binaries, '/bin/dash']) for (const lib of await sharedLibraries(b)) libs.add(lib);
  const staging = mkdtempSync(path.join(os.tmpdir(), 'pg-image-'));
  try {
    await run('mkdir', ['-p', path.join(staging, 'etc'), path.join(staging, 'bin')]);
    await run('ln', ['-s', 'dash', path.join(staging, 'bin', 'sh')]); // initdb popen()s through /bin/sh
    writeFileSync(
      path.join(staging, 'etc', 'passwd'),
      'root:x:0:0:root:/root:/bin/sh\npostgres:x:999:999:PostgreSQL:/tmp:/bin/sh\n',
    );
    writeFileSync(path.join(staging, 'etc', 'group'), 'root:x:0:\npostgres:x:999:\n');
    writeFileSync(
      path.join(staging, 'entrypoint.sh'),
      [
        '#!/bin/dash',
        'set -e',
        'PGDATA="${PGDATA:-/tmp/pgdata}"',
        'if [ ! -s "$PGDATA/PG_VERSION" ]; then',
        '  echo "$POSTGRES_PASSWORD" > /tmp/.pw',
        `  ${bin}/initdb -D "$PGDATA" -U "\${POSTGRES_USER:-insights}" --pwfile=/tmp/.pw -A scram-sha-256 --locale=C -E UTF8 --no-sync --no-instructions`,
        '  : > /tmp/.pw',
        'fi',
        `exec ${bin}/postgres -D "$PGDATA" -p "\${PGPORT:-5432}" -c listen_addresses=127.0.0.1 -c unix_socket_directories=/tmp -c fsync=off -c "max_connections=\${MAX_CONNECTIONS:-100}"`,
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
    await importRootfs(
      docker,
      POSTGRES_IMAGE,
      [
        ...binaries,
        ...libs,
        '/bin/dash',
        `/usr/lib/postgresql/${version}/lib`,
        `/usr/share/postgresql/${version}`,
        '/usr/share/zoneinfo',
        '/etc/ld.so.cache',
      ],
      {
        extra: [{ from: staging, to: '/' }],
        changes: ['USER postgres', 'CMD ["/bin/dash", "/entrypoint.sh"]'],
      },
    );
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return POSTGRES_IMAGE;
}
