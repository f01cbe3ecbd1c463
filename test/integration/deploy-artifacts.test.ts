/**
 * The deployable artifacts, validated as far as this machine allows: no image registry is reachable, so
 * the images can be neither pulled nor built. Compose checks the production file (`docker-compose config`);
 * the Dockerfile's instructions run as a script, each stage in a scratch directory of its own (COPY as
 * copies, `COPY --from` out of an earlier stage's, RUN in a shell, ENV as the environment), and the image's
 * two commands then start: the worker polls the dev server with the workflows bundled at build time, and
 * the intake answers its health check.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { freePort } from '../../scripts/testbed/local-services';
import { eventually } from '../../scripts/testbed/eventually';
import { describeWith, serviceValue } from '../../scripts/testbed/services';
import { tempDir, uniqueTaskQueue } from '../../scripts/testbed/temporal';
import { fatalOf, filesUnder } from '../support/files';

const ROOT = path.resolve(__dirname, '..', '..');
const DEPLOY = path.join(ROOT, 'deploy');

describeWith(['compose'], 'deploy/docker-compose.yml', () => {
  test('is valid Compose: Temporal and its UI on PostgreSQL, worker, intake and API, the store, no host networking, secrets from an env file', () => {
    const dir = tempDir('compose-');
    cpSync(DEPLOY, dir, { recursive: true });
    writeFileSync(path.join(dir, 'secrets.env'), readFileSync(path.join(DEPLOY, 'secrets.env.example')));
    const args = ['-f', path.join(dir, 'docker-compose.yml'), '--env-file', path.join(dir, 'secrets.env')];
    execFileSync(serviceValue('compose'), [...args, 'config', '-q'], { stdio: 'pipe' });
    const resolved = parseYaml(execFileSync(serviceValue('compose'), [...args, 'config']).toString()) as {
      services: Record<
        string,
        {
          image?: string;
          network_mode?: string;
          environment?: Record<string, string>;
          ports?: unknown[];
          /** `source:target[:mode]` (Compose v1) or `{ source, target }` (v2). */
          volumes?: Array<string | { source?: string; target?: string }>;
        }
      >;
    };
    const services = resolved.services;
    expect(Object.keys(services).sort()).toEqual([
      'api',
      'intake',
      'postgresql',
      'temporal',
      'temporal-namespace',
      'temporal-schema',
      'temporal-ui',
      'worker',
    ]);
    for (const [name, s] of Object.entries(services)) {
      expect([name, s.network_mode]).toEqual([name, undefined]);
      // Short image names only: no registry host is named (the deployer's registry mirrors them).
      expect(s.image?.split('/')[0].includes('.')).toBe(false);
    }
    // Secrets from the env file: its values reach the worker and the intake (and nothing else).
    const raw = parseYaml(readFileSync(path.join(DEPLOY, 'docker-compose.yml'), 'utf8')) as {
      services: Record<string, { env_file?: string[] }>;
    };
    for (const name of ['worker', 'intake', 'api']) {
      expect(raw.services[name].env_file).toEqual(['secrets.env']);
      expect(services[name].environment?.INTAKE_TOKEN).toBe('change-me-to-a-long-random-token');
    }
    for (const name of ['postgresql', 'temporal', 'temporal-schema', 'temporal-namespace', 'temporal-ui'])
      expect(services[name].environment?.INTAKE_TOKEN).toBeUndefined();
    // Only the intake and the UI are published, on loopback.
    const published = Object.entries(services)
      .filter(([, s]) => s.ports?.length)
      .map(([n]) => n);
    expect(published.sort()).toEqual(['api', 'intake', 'temporal-ui']);
    expect(JSON.stringify(services.intake.ports)).toMatch(/127\.0\.0\.1/);
    expect(JSON.stringify(services.api.ports)).toMatch(/127\.0\.0\.1.*8089/);
    // One store for every worker, intake and the API: the database the PostgreSQL service creates on first start.
    const storeUrl = new URL(services.worker.environment!.DATABASE_URL);
    expect([storeUrl.host, storeUrl.pathname]).toEqual(['postgresql:5432', '/durable_runbooks']);
    expect(services.api.environment?.DATABASE_URL).toBe(services.worker.environment!.DATABASE_URL);
    // The intakes share it too: a Slack or PagerDuty request replayed to another replica acts once.
    expect(services.intake.environment?.DATABASE_URL).toBe(services.worker.environment!.DATABASE_URL);
    const mounts = (services.postgresql.volumes ?? []).map((v) =>
      typeof v === 'string' ? { source: v.split(':')[0], target: v.split(':')[1] } : v,
    );
    const init = mounts.find((v) => v.target === '/docker-entrypoint-initdb.d');
    expect(readFileSync(path.join(init!.source!, 'store-database.sql'), 'utf8')).toMatch(
      /^CREATE DATABASE durable_runbooks;$/m,
    );
  });
});

/** The Dockerfile's instructions, in order (FROM is the base image this machine cannot pull). */
function instructions(file: string): { op: string; arg: string }[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const i = l.indexOf(' ');
      return { op: l.slice(0, i).toUpperCase(), arg: l.slice(i + 1).trim() };
    });
}

function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(
      () => reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${out}`)),
      timeoutMs,
    );
    const read = (c: Buffer) => {
      out += c.toString();
      if (pattern.test(out)) {
        clearTimeout(timer);
        resolve(out);
      }
    };
    child.stdout?.on('data', read);
    child.stderr?.on('data', read);
    child.on('exit', (code) => reject(new Error(`exited ${code} before ${pattern}:\n${out}`)));
  });
}

describeWith(['temporal'], 'deploy/Dockerfile as a script', () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children)
      try {
        if (c.pid) process.kill(-c.pid, 'SIGKILL');
      } catch {
        // exited already (the refused intake)
      }
  });

  test('its COPY and RUN lines make an app whose worker, intake and API commands start', async () => {
    const root = tempDir('image-');
    // npm's cache for the RUN line: a copy of this machine's (hard links), since the line cleans it.
    const cache = path.join(tempDir('npm-cache-'), 'cache');
    try {
      execFileSync('cp', ['-al', path.join(process.env.HOME ?? '/root', '.npm'), cache]);
    } catch {
      mkdirSync(cache, { recursive: true });
    }
    const npm = { npm_config_cache: cache, npm_config_prefer_offline: 'true' };
    let env: Record<string, string> = {};
    let stageRoot = root;
    let workdir = root;
    let cmd: string[] = [];
    const stages = new Map<string, string>();
    for (const { op, arg } of instructions(path.join(DEPLOY, 'Dockerfile'))) {
      if (op === 'FROM') {
        // A stage starts empty: its own root, workdir and environment.
        stageRoot = workdir = tempDir('stage-');
        env = { ...npm };
        const name = /\sAS\s+(\S+)$/i.exec(arg)?.[1];
        if (name) stages.set(name, stageRoot);
      } else if (op === 'ENV') for (const [k, v] of [arg.split('=')]) env[k] = v;
      else if (op === 'WORKDIR') mkdirSync((workdir = path.join(stageRoot, arg)), { recursive: true });
      else if (op === 'COPY') {
        const parts = arg.split(/\s+/);
        const from = parts[0].startsWith('--from=')
          ? stages.get(parts.shift()!.slice('--from='.length))
          : ROOT;
        expect(from).toBeDefined();
        const to = parts.pop() as string;
        // Docker's rule: several sources, or a destination ending in "/", copy into that directory.
        const intoDir = parts.length > 1 || to.endsWith('/');
        for (const src of parts)
          cpSync(path.join(from!, src), path.join(workdir, to, intoDir ? path.basename(src) : ''), {
            recursive: true,
          });
      } else if (op === 'RUN')
        execFileSync('sh', ['-c', arg], { cwd: workdir, env: { ...process.env, ...env }, stdio: 'pipe' });
      else if (op === 'CMD') cmd = JSON.parse(arg) as string[];
      else expect(['USER', 'EXPOSE']).toContain(op);
    }
    // What the image holds: compiled code with the workflows bundled, production dependencies only, and
    // no TypeScript, test or script files.
    expect(existsSync(path.join(workdir, 'dist', 'workflow-bundle.js'))).toBe(true);
    expect(existsSync(path.join(workdir, 'node_modules', 'jest', 'package.json'))).toBe(false);
    expect(filesUnder(workdir).filter((f) => /\.ts$/.test(f) && !f.endsWith('.d.ts'))).toEqual([]);
    expect(existsSync(path.join(workdir, 'scripts'))).toBe(false);
    // The command line from the compiled code (no sources beside bin/): it reads the image's config.
    const listed = execFileSync(process.execPath, ['bin/durable-runbooks.js', 'runbook', 'list'], {
      cwd: workdir,
      encoding: 'utf8',
    });
    expect(listed).toMatch(/wont-start\s+wont-start\.yaml\s+InsightsAppDown/);

    const taskQueue = uniqueTaskQueue('image');
    const run = (argv: string[], extra: Record<string, string>) => {
      const child = spawn(argv[0] === 'node' ? process.execPath : argv[0], argv.slice(1), {
        cwd: workdir,
        detached: true,
        env: {
          PATH: process.env.PATH ?? '',
          ...env,
          TEMPORAL_ADDRESS: serviceValue('temporal'),
          TEMPORAL_TASK_QUEUE: taskQueue,
          ...extra,
        },
      });
      children.push(child);
      return child;
    };
    // The image's command: the worker. It runs in production (the image's NODE_ENV), so with the shipped
    // configuration and no routing keys it refuses to start: nobody could be paged.
    expect(env.NODE_ENV).toBe('production');
    const keyless = run(cmd, {});
    let refusal = '';
    keyless.stdout?.on('data', (d) => (refusal += d));
    keyless.stderr?.on('data', (d) => (refusal += d));
    expect(await new Promise((r) => keyless.once('close', r))).toBe(1);
    expect(fatalOf(refusal)).toContain('escalation.ladder[0] ("primary on-call"): nobody on it can be paged');
    // With the keys, it loads the workflows bundled at build time.
    const keys = Object.fromEntries(
      ['PRIMARY', 'SECONDARY', 'TECH_LEAD', 'MANAGER', 'SECURITY'].map((k) => [
        `PD_ROUTING_KEY_${k}`,
        `R0IMAGE${k}`,
      ]),
    );
    const started = Date.now();
    const log = await waitForLine(run(cmd, keys), /workflows: .*\n/, 120_000);
    expect(log).toMatch(/worker polling task queue image-\S+ on 127\.0\.0\.1:\d+/);
    expect(log).toContain(
      `workflows: the bundle built with this release (${path.join(workdir, 'dist', 'workflow-bundle.js')})`,
    );
    console.log(
      `the image's worker polled ${Date.now() - started} ms after it was started (prebuilt bundle)`,
    );
    // The compose file's intake command, bound to every interface with its token.
    const compose = parseYaml(readFileSync(path.join(DEPLOY, 'docker-compose.yml'), 'utf8')) as {
      services: Record<'intake' | 'api', { command: string[] }>;
    };
    const intakeCommand = compose.services.intake.command;
    const port = await freePort();
    // The example file's placeholder token stops the intake at start, naming the variable.
    const placeholder = run(intakeCommand, {
      INTAKE_HOST: '0.0.0.0',
      INTAKE_PORT: String(port),
      INTAKE_TOKEN: 'change-me-to-a-long-random-token',
    });
    let said = '';
    placeholder.stdout?.on('data', (d) => (said += d));
    placeholder.stderr?.on('data', (d) => (said += d));
    // 'close', not 'exit': the streams are read to their end, so the message is all there.
    expect(await new Promise((r) => placeholder.once('close', r))).toBe(1);
    expect(fatalOf(said)).toContain('INTAKE_TOKEN is the placeholder from the example file');
    run(intakeCommand, {
      INTAKE_HOST: '0.0.0.0',
      INTAKE_PORT: String(port),
      INTAKE_TOKEN: 'image-test-token-0123456789abcdef0123',
    });
    await eventually(
      async () => expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200),
      60_000,
      250,
    );
    // The compose file's API command, over the embedded store (no DATABASE_URL) in a data directory.
    const apiPort = await freePort();
    run(compose.services.api.command, {
      API_PORT: String(apiPort),
      RUNBOOKS_DATA_DIR: tempDir('image-data-'),
    });
    await eventually(
      async () =>
        expect(await (await fetch(`http://127.0.0.1:${apiPort}/healthz`)).json()).toEqual({ status: 'ok' }),
      60_000,
      250,
    );
    const incidents = await fetch(`http://127.0.0.1:${apiPort}/api/v1/incidents`);
    expect(await incidents.json()).toMatchObject({ incidents: [] });
  }, 300_000);
});
