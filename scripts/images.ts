/**
 * Container images built locally with `docker import` from host files: no registry is involved. The Node
 * image holds the host's node binary and the libraries it links; app images add their files on top.
 */
import { execFile } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type Docker from 'dockerode';

const run = promisify(execFile);

export const NODE_IMAGE = 'durable-runbooks/node:local';

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
    writeFileSync(list, hostPaths.map((p) => p.replace(/^\//, '')).join('\n') + '\n');
    await run('tar', ['-C', '/', '--dereference', '-cf', tarball, '-T', list]);
    for (const { from, to } of opts.extra ?? []) {
      await run('tar', ['-C', from, '--transform', `s,^\\.,${to.replace(/^\//, '')},`, '-rf', tarball, '.']);
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
