import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Connection, type ConnectionOptions } from '@temporalio/client';

export const REPO_ROOT = path.resolve(__dirname, '..');
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

export function findTestServer(): string | undefined {
  const wrapper = path.join(TOOLS_BIN, 'temporal-test-server');
  return existsSync(wrapper) ? wrapper : undefined;
}

export function splitAddress(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  return { host: address.slice(0, i) || '127.0.0.1', port: Number(address.slice(i + 1)) };
}

export function portOpen(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** True when a Temporal frontend answers its health check at `address` (with TLS / API key when given). */
export async function temporalAnswers(
  address: string,
  timeoutMs = 2000,
  connect: Omit<ConnectionOptions, 'address'> = {},
): Promise<boolean> {
  const { host, port } = splitAddress(address);
  if (!(await portOpen(host, port))) return false;
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ ...connect, address, connectTimeout: timeoutMs });
    await connection.withDeadline(Date.now() + timeoutMs, () =>
      connection!.workflowService.getSystemInfo({}),
    );
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close();
  }
}

export async function waitForTemporal(address: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await temporalAnswers(address)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`Temporal did not answer at ${address} within ${Math.round(timeoutMs / 1000)} s`);
}

export { registerSearchAttributes } from '../workers/search-attributes';
