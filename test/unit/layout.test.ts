/**
 * The layout's size rule: no source file of ours over 400 lines. Frozen code is exempt, because splitting it
 * is an edit to code that must not change (each file in workflows/legacy/ says when it can go).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const CHECKED = [
  'domain',
  'config',
  'store',
  'activities',
  'workflows',
  'intake',
  'workers',
  'cli',
  'bin',
  'scripts',
];
const FROZEN = /^workflows\/legacy\//;
const MAX_LINES = 400;

function sources(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir)).flatMap((name) => {
    const rel = `${dir}/${name}`;
    if (statSync(path.join(ROOT, rel)).isDirectory()) return sources(rel);
    return /\.(ts|js|cjs|mjs|sh)$/.test(name) ? [rel] : [];
  });
}

test(`no source file is over ${MAX_LINES} lines (frozen code aside)`, () => {
  const files = CHECKED.flatMap(sources);
  expect(files.length).toBeGreaterThan(100);
  const over = files
    .filter((f) => !FROZEN.test(f))
    .map((f) => ({ f, lines: readFileSync(path.join(ROOT, f), 'utf8').split('\n').length - 1 }))
    .filter(({ lines }) => lines > MAX_LINES)
    .map(({ f, lines }) => `${f}: ${lines} lines`);
  expect(over).toEqual([]);
});

test('frozen code says what pins it, what replays it and when it can go', () => {
  const frozen = sources('workflows/legacy');
  expect(frozen.length).toBeGreaterThan(0);
  for (const f of frozen) {
    const head = readFileSync(path.join(ROOT, f), 'utf8').slice(0, 2500);
    expect({ f, head }).toEqual({ f, head: expect.stringContaining('FROZEN') });
    for (const part of ['Pinned by:', 'Replayed by:', 'Can go when'])
      expect({ f, part, found: head.includes(part) }).toEqual({ f, part, found: true });
  }
});
