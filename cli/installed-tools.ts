/** Where the tools provisioning installs live (`.tools/bin` under the checkout), and finding them. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../config/package-root';

export const REPO_ROOT = PACKAGE_ROOT;
export const TOOLS_BIN = path.join(REPO_ROOT, '.tools', 'bin');

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** The Temporal CLI: from PATH, else the one provisioning built under .tools/bin. */
export function findTemporalCli(): string | undefined {
  return (
    onPath('temporal') ??
    (existsSync(path.join(TOOLS_BIN, 'temporal')) ? path.join(TOOLS_BIN, 'temporal') : undefined)
  );
}

/** The time-skipping test server provisioning fetched (`runbook test` rehearses on it). */
export function findTestServer(): string | undefined {
  const wrapper = path.join(TOOLS_BIN, 'temporal-test-server');
  return existsSync(wrapper) ? wrapper : undefined;
}
