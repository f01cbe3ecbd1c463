/**
 * `durable-runbooks pin-images` against a real registry (Debian's docker-registry, the CNCF Distribution
 * server) holding images pushed by a real Docker Engine: the digest pinned is the one the engine reports for
 * the push. A second registry front demands a Bearer token, as Docker Hub does, to check the token flow.
 */
import { createServer, request, type Server } from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { freePort, killGroup, spawnLogged, waitFor } from '../../scripts/testbed/local-services';
import { ensureShellImage } from '../../scripts/testbed/images';
import { describeWith, serviceValue } from '../../scripts/testbed/services';
import { tempDir } from '../../scripts/testbed/temporal';
import { runCli } from '../support/cli-process';

const TOKEN = 'pull-token-for-the-test';

/** A registry front that answers 401 + a Bearer challenge without the token, and serves the token. */
function tokenGuardedFront(upstreamPort: number, port: number): Server {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    if (url.pathname === '/token') {
      const ok =
        url.searchParams.get('service') === 'pin-test' && url.searchParams.get('scope')?.endsWith(':pull');
      res.writeHead(ok ? 200 : 400, { 'content-type': 'application/json' });
      res.end(JSON.stringify(ok ? { token: TOKEN } : { error: 'service or scope missing' }));
      return;
    }
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      const repo = /^\/v2\/(.+)\/manifests\//.exec(url.pathname)?.[1] ?? '';
      res.writeHead(401, {
        'www-authenticate': `Bearer realm="http://127.0.0.1:${port}/token",service="pin-test",scope="repository:${repo}:pull"`,
      });
      res.end();
      return;
    }
    const upstream = request(
      {
        host: '127.0.0.1',
        port: upstreamPort,
        path: req.url,
        method: req.method,
        headers: { accept: req.headers.accept },
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.end();
  });
  server.listen(port, '127.0.0.1');
  return server;
}

describeWith(['docker', 'registry'], 'pin-images against a real registry', () => {
  const dir = tempDir('registry-');
  const docker = new Docker({ socketPath: serviceValue('docker') });
  let registry: ReturnType<typeof spawnLogged>;
  let front: Server;
  let port = 0;
  let frontPort = 0;
  const pushed = new Map<string, string>();

  beforeAll(async () => {
    port = await freePort();
    frontPort = await freePort();
    const config = path.join(dir, 'config.yml');
    writeFileSync(
      config,
      [
        'version: 0.1',
        'storage:',
        `  filesystem: { rootdirectory: ${path.join(dir, 'data')} }`,
        'http:',
        `  addr: 127.0.0.1:${port}`,
      ].join('\n'),
    );
    const log = path.join(dir, 'registry.log');
    registry = spawnLogged(serviceValue('registry'), ['serve', config], log);
    await waitFor(
      'docker-registry',
      async () => (await fetch(`http://127.0.0.1:${port}/v2/`).catch(() => undefined))?.status === 200,
      registry,
      log,
      20_000,
    );
    front = tokenGuardedFront(port, frontPort);
    // An official-style image (library/…) and an organisation's image, as the examples name them.
    const local = await ensureShellImage(docker);
    for (const [short, repo] of [
      ['pin-test-db:15', 'library/pin-test-db:15'],
      ['acme/pin-test-app:2.1', 'acme/pin-test-app:2.1'],
    ]) {
      const [name, tag] = repo.split(':');
      await docker.getImage(local).tag({ repo: `127.0.0.1:${port}/${name}`, tag });
      const stream = await docker.getImage(`127.0.0.1:${port}/${repo}`).push({ authconfig: {} });
      await new Promise((resolve, reject) =>
        docker.modem.followProgress(stream, (err) => (err ? reject(err) : resolve(undefined))),
      );
      const info = await docker.getImage(`127.0.0.1:${port}/${repo}`).inspect();
      const digest = info.RepoDigests.find((d) => d.startsWith(`127.0.0.1:${port}/${name}@`))?.split('@')[1];
      expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      pushed.set(short, digest!);
    }
  }, 120_000);

  afterAll(async () => {
    front?.close();
    if (registry) await killGroup(registry);
  });

  function examples(): { compose: string; dockerfile: string } {
    const compose = path.join(dir, `compose-${Math.random().toString(36).slice(2)}.yml`);
    const dockerfile = `${compose}.Dockerfile`;
    writeFileSync(
      compose,
      [
        'services:',
        '  db:',
        '    image: pin-test-db:15',
        '  app:',
        '    image: "acme/pin-test-app:2.1" # quoted, with a comment',
        '  ours:',
        '    image: durable-runbooks:latest',
        '',
      ].join('\n'),
    );
    writeFileSync(dockerfile, 'FROM pin-test-db:15 AS build\nRUN true\nFROM acme/pin-test-app:2.1\n');
    return { compose, dockerfile };
  }

  test('pins every image by the digest the engine pushed, leaves our own image alone, and --check agrees', async () => {
    const { compose, dockerfile } = examples();
    const before = await runCli(['pin-images', '--check', compose, dockerfile], {});
    expect(before.code).toBe(1);
    expect(before.stdout).toContain('not pinned by digest');
    expect(before.stdout).toContain(':3: pin-test-db:15');

    const run = await runCli(
      ['pin-images', '--registry', `http://127.0.0.1:${port}`, compose, dockerfile],
      {},
    );
    expect([run.code, run.stderr]).toEqual([0, '']);
    const db = `pin-test-db:15@${pushed.get('pin-test-db:15')}`;
    const app = `acme/pin-test-app:2.1@${pushed.get('acme/pin-test-app:2.1')}`;
    expect(readFileSync(compose, 'utf8')).toContain(`    image: ${db}\n`);
    expect(readFileSync(compose, 'utf8')).toContain(`    image: "${app}" # quoted, with a comment\n`);
    expect(readFileSync(compose, 'utf8')).toContain('    image: durable-runbooks:latest\n');
    expect(readFileSync(dockerfile, 'utf8')).toBe(`FROM ${db} AS build\nRUN true\nFROM ${app}\n`);

    const after = await runCli(['pin-images', '--check', compose, dockerfile], {});
    expect([after.code, after.stdout.trim()]).toEqual([0, 'every image in 2 file(s) is pinned by digest']);
  }, 60_000);

  test('asks for an anonymous pull token when the registry answers with a Bearer challenge', async () => {
    const { compose } = examples();
    const run = await runCli(['pin-images', '--registry', `http://127.0.0.1:${frontPort}`, compose], {});
    expect([run.code, run.stderr]).toEqual([0, '']);
    expect(readFileSync(compose, 'utf8')).toContain(`image: pin-test-db:15@${pushed.get('pin-test-db:15')}`);
  }, 60_000);

  test('an image the registry does not have changes nothing and names the file, the line and the answer', async () => {
    const { compose } = examples();
    writeFileSync(compose, readFileSync(compose, 'utf8') + '  missing:\n    image: pin-test-db:99\n');
    const text = readFileSync(compose, 'utf8');
    const run = await runCli(['pin-images', '--registry', `http://127.0.0.1:${port}`, compose], {});
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/cannot pin .*compose-\w+\.yml:9: pin-test-db:99: .* answered HTTP 404/);
    expect(run.stderr).toContain('nothing was changed');
    expect(readFileSync(compose, 'utf8')).toBe(text);
  }, 60_000);

  test('without a registry it says which flag is missing', async () => {
    const { compose } = examples();
    const run = await runCli(['pin-images', compose], { IMAGE_REGISTRY: '' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--registry');
  });
});
