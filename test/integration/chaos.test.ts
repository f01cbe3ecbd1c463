/**
 * `npm run chaos` as a user runs it, at full size: a 10,000-alert storm over 100 group keys while workers and
 * an intake replica are SIGKILLed, the Temporal server SIGKILLed during a P1 ladder, PostgreSQL down for 10 s.
 * The script checks its goals itself (0 lost, exactly 100 incidents, 0 duplicate pages, the next page on time,
 * 503 + Retry-After during the outage and nothing lost after) and exits 1 when one is missed.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describeWith } from '../../scripts/testbed/services';

const ROOT = path.resolve(__dirname, '..', '..');

describeWith(['cluster', 'haproxy', 'postgres'], 'npm run chaos', () => {
  test('every goal is met', async () => {
    const child = spawn(
      process.execPath,
      ['-r', 'tsx/cjs', path.join(ROOT, 'scripts', 'bench', 'chaos.ts')],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    const report = output
      .split('\n')
      .filter((line) => /^(storm|ladder|postgres): |^(MET|MISSED) /.test(line))
      .join('\n');
    console.log(code === 0 ? report : `${report}\n${output.slice(-4000)}`);
    expect({ code, missed: output.split('\n').filter((line) => line.startsWith('MISSED')) }).toEqual({
      code: 0,
      missed: [],
    });
    expect(output.match(/^MET /gm)).toHaveLength(5);
  }, 600_000);
});
