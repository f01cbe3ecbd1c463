/**
 * `npm run build`'s last step: the workflows bundled once, at build time, into dist/workflow-bundle.js,
 * which compiled workers load instead of bundling at every start (seconds of CPU and ~200 MB of memory).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { nameProcessLog } from '../config/logger';
import { bundleWorkflows, PREBUILT_BUNDLE, WORKFLOWS_PATH } from './worker';

const log = nameProcessLog('build');

async function main() {
  const started = Date.now();
  const { code } = await bundleWorkflows();
  mkdirSync(path.dirname(PREBUILT_BUNDLE), { recursive: true });
  writeFileSync(PREBUILT_BUNDLE, code);
  const took = ((Date.now() - started) / 1000).toFixed(1);
  log.info(`bundled ${WORKFLOWS_PATH} into ${PREBUILT_BUNDLE} (${code.length} bytes, ${took} s)`);
}

main().catch((err: Error) => {
  log.fatal(err.stack ?? err.message);
  process.exit(1);
});
