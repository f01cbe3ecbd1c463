/**
 * The published package: `npm pack` builds it (prepack: tsc to dist/, the workflows bundled), and the
 * `durable-runbooks` command of the unpacked package runs the compiled code with the shipped config.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { filesUnder } from '../support/files';
import { tempDir } from '../../scripts/testbed/temporal';

const ROOT = path.resolve(__dirname, '..', '..');

test('npm pack makes a package of compiled code whose command answers from it', () => {
  const dir = tempDir('pack-');
  execFileSync('npm', ['pack', '--pack-destination', dir], { cwd: ROOT, stdio: 'pipe' });
  const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'));
  expect(tarball).toBeDefined();
  execFileSync('tar', ['-xzf', path.join(dir, tarball!), '-C', dir]);
  const pkg = path.join(dir, 'package');
  const files = filesUnder(pkg);
  expect(files).toEqual(
    expect.arrayContaining([
      'bin/durable-runbooks.js',
      'dist/cli/main.js',
      'dist/workers/main.js',
      'dist/intake/main.js',
      'dist/workflow-bundle.js',
      'config/durable-runbooks.json',
      'runbooks/health.yaml',
      'console/console.js',
      'console/console.css',
      'LICENSE',
    ]),
  );
  // Compiled code only: no TypeScript sources, tests or scripts.
  expect(files.filter((f) => /\.ts$/.test(f) && !f.endsWith('.d.ts'))).toEqual([]);
  expect(files.filter((f) => /^(test|scripts)\//.test(f))).toEqual([]);

  // The checkout's dependencies stand in for `npm install` of the package's.
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(pkg, 'node_modules'));
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, ['bin/durable-runbooks.js', ...args], { cwd: pkg, encoding: 'utf8' });
  const version = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version as string;
  expect(cli('--version')).toMatchObject({ status: 0, stdout: `${version}\n` });
  expect(cli('incident', '--help')).toMatchObject({ status: 0, stdout: expect.stringContaining('incident') });
  const listed = cli('runbook', 'list');
  expect(listed).toMatchObject({
    status: 0,
    stdout: expect.stringMatching(/disk-full\s+disk-full\.yaml\s+DiskFull/),
  });
  // What needs the checkout says so, with "unreachable" (3).
  const start = cli('start');
  expect(start.status).toBe(3);
  expect(start.stderr).toContain('runs from a checkout of the repository');
  expect(existsSync(path.join(pkg, 'cli'))).toBe(false);
}, 180_000);
