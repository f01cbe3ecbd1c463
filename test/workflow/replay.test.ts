import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { quietRuntime, workflowBundle } from '../support/temporal';

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
});
