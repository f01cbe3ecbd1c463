/**
 * Records the workflow code of a landed release (`npm run record-release -- <commit>`, default HEAD) as the
 * "previous release" that the simulation runs beside the current code: `test/releases/previous.js.gz`
 * (the bundle a worker would load, built from that commit's tree) and `previous.json` (which commit, when).
 *
 * Run it once a release has landed, before the next change to workflow code: from then on every task of
 * the simulation may land on either bundle, so a change the previous release cannot replay (a new patch
 * taken at once, a new engine revision turned on in the release that introduces it) fails the test, as it
 * would fail a rolling deploy or a rollback.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { bundleWorkflows } from '../../workers/worker';

const ROOT = path.resolve(__dirname, '..', '..');
const OUT = path.join(ROOT, 'test', 'releases');
/** Where a release keeps its workflows' entry point (the layout may move it; the first that exists wins). */
const ENTRY_POINTS = ['workflows/index.ts', 'workflows'];

async function main() {
  const rev = process.argv[2] ?? 'HEAD';
  const commit = execFileSync('git', ['rev-parse', rev], { cwd: ROOT, encoding: 'utf8' }).trim();
  const tree = mkdtempSync(path.join(os.tmpdir(), 'release-'));
  try {
    execFileSync('git', ['worktree', 'add', '--detach', tree, commit], { cwd: ROOT, stdio: 'ignore' });
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(tree, 'node_modules'));
    const entry = ENTRY_POINTS.map((p) => path.join(tree, p)).find((p) => existsSync(p));
    if (!entry) throw new Error(`no workflows entry point in ${commit} (tried ${ENTRY_POINTS.join(', ')})`);
    const { code } = await bundleWorkflows(entry);
    mkdirSync(OUT, { recursive: true });
    writeFileSync(path.join(OUT, 'previous.js.gz'), gzipSync(code, { level: 9 }));
    const date = execFileSync('git', ['show', '-s', '--format=%cI', commit], { cwd: ROOT, encoding: 'utf8' });
    writeFileSync(
      path.join(OUT, 'previous.json'),
      `${JSON.stringify({ commit, committed: date.trim(), bytes: code.length }, null, 2)}\n`,
    );
    console.log(`recorded the workflows of ${commit.slice(0, 10)} (${code.length} bytes) in ${OUT}`);
  } finally {
    // Not execFileSync: when `worktree add` failed there is nothing to remove, and its error is the one to see.
    spawnSync('git', ['worktree', 'remove', '--force', tree], { cwd: ROOT, stdio: 'ignore' });
    rmSync(tree, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
