import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { quietRuntime, workflowBundle } from '../../scripts/testbed/temporal';

const DIR = path.resolve(__dirname, '..', 'histories');

describe('recorded histories replay against the current workflow code', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.json'));

  test('there are recorded histories to replay', () => {
    expect(files.length).toBeGreaterThanOrEqual(4);
  });

  test.each(files)('%s replays without non-determinism', async (file) => {
    quietRuntime();
    const history = historyFromJSON(JSON.parse(readFileSync(path.join(DIR, file), 'utf8')));
    expect(history.events?.length).toBeGreaterThan(10);
    const results = Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, [
      { workflowId: `recorded-${file.replace(/\.json$/, '')}`, history },
    ]);
    for await (const result of results) expect(result.error).toBeUndefined();
  });

  // One worker replays them all in turn, each scenario's newest set first and its oldest last: what a run
  // learns (the incident's release baseline, say) must not reach the next run the worker takes.
  test('all of them replay one after another on one worker', async () => {
    quietRuntime();
    const set = (file: string) => /^v(\d+)-/.exec(file)?.[1] ?? '1';
    const scenario = (file: string) => file.replace(/^v\d+-/, '');
    const histories = [...files].sort(
      (a, b) => scenario(a).localeCompare(scenario(b)) || Number(set(b)) - Number(set(a)),
    );
    const results = Worker.runReplayHistories(
      { workflowBundle: await workflowBundle() },
      histories.map((file) => ({
        workflowId: `recorded-${file.replace(/\.json$/, '')}`,
        history: historyFromJSON(JSON.parse(readFileSync(path.join(DIR, file), 'utf8'))),
      })),
    );
    let replayed = 0;
    for await (const result of results) {
      expect(result.error).toBeUndefined();
      replayed++;
    }
    expect(replayed).toBe(histories.length);
  });
});
