/**
 * The Docker Engine calls the reads and the changes share: inspect (null when missing, or a non-retryable
 * failure), exec with a bounded output and timeout, the engine's event record, and waiting for a start.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationFailure } from '@temporalio/activity';
import type Docker from 'dockerode';
import { demux } from './parse';

export type ExecResult = { exitCode: number | null; output: string; timedOut: boolean };

export type DockerEngine = ReturnType<typeof dockerEngine>;

export function dockerEngine(docker: Docker) {
  async function inspect(name: string) {
    try {
      return await docker.getContainer(name).inspect();
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return null;
      throw err;
    }
  }

  /** The container's state; one that does not exist fails the step for good (no retry brings it back). */
  async function inspectOrFail(container: string) {
    const info = await inspect(container);
    if (!info)
      throw ApplicationFailure.nonRetryable(`container ${container} does not exist`, 'NoSuchContainer');
    return info;
  }

  /** Docker events for a container since an instant (the engine's own record, shared by all incidents). */
  async function eventsSince(container: string, sinceMs: number, actions: string[]): Promise<string[]> {
    const stream = (await docker.getEvents({
      since: Math.floor(sinceMs / 1000),
      until: Math.ceil(Date.now() / 1000) + 1,
      filters: JSON.stringify({ container: [container], type: ['container'], event: actions }),
    })) as unknown as NodeJS.ReadableStream;
    let text = '';
    for await (const chunk of stream) text += chunk.toString();
    return text
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { Action?: string; status?: string }).Action ?? '');
  }

  async function waitRunningSince(container: string, sinceMs: number, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const info = await inspect(container);
      if (info?.State.Running && Date.parse(info.State.StartedAt) >= sinceMs) return info.State.StartedAt;
      await sleep(500);
    }
    throw ApplicationFailure.retryable(
      `${container} did not come back within ${timeoutMs / 1000} s`,
      'NotRunning',
    );
  }

  /** Runs `argv` in the container: exit code and output; a missing binary shows as exit code 126/127. */
  async function execArgv(container: string, argv: string[], timeoutMs: number): Promise<ExecResult> {
    const exec = await docker
      .getContainer(container)
      .exec({ Cmd: argv, AttachStdout: true, AttachStderr: true });
    const stream = await exec.start({ hijack: true, stdin: false });
    const chunks: Buffer[] = [];
    let size = 0;
    const finished = new Promise<boolean>((resolve, reject) => {
      stream.on('data', (d: Buffer) => {
        // Keep the first MiB: a chatty command cannot fill the worker's memory.
        if (size < 1_048_576) chunks.push(d);
        size += d.length;
      });
      stream.on('end', () => resolve(false));
      stream.on('error', reject);
    });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      finished,
      new Promise<boolean>((r) => (timer = setTimeout(() => r(true), timeoutMs))),
    ]).finally(() => clearTimeout(timer));
    if (timedOut) (stream as unknown as { destroy?: () => void }).destroy?.();
    const state = (await exec.inspect()) as { ExitCode: number | null; Running: boolean };
    return {
      exitCode: state.Running ? null : state.ExitCode,
      output: demux(Buffer.concat(chunks)),
      timedOut,
    };
  }

  return { inspect, inspectOrFail, eventsSince, waitRunningSince, execArgv };
}

/** The engine refuses to exec a binary the image lacks either at once (an error) or as exit code 126/127. */
export function asMissingBinary(err: Error): ExecResult {
  if (/executable file not found|no such file or directory/i.test(err.message))
    return { exitCode: 127, output: `exec: ${err.message}`, timedOut: false };
  throw err;
}

/** Whether the engine could not start `binary` itself (not: the binary ran and a command inside failed). */
export function missingBinary(run: ExecResult, binary: string): boolean {
  return (
    (run.exitCode === 126 || run.exitCode === 127) &&
    (run.output.includes(`"${binary}": executable file not found`) ||
      run.output.includes(`exec: "${binary}"`) ||
      /^\s*$/.test(run.output))
  );
}
