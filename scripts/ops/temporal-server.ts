import net from 'node:net';
import { Connection, type ConnectionOptions } from '@temporalio/client';

export { REPO_ROOT, TOOLS_BIN, findTemporalCli, findTestServer } from '../../cli/installed-tools';

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

export { registerSearchAttributes } from '../../workers/search-attributes';
