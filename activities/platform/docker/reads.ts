/**
 * Docker Engine reads: a container's state, logs, memory, restarts, processes and disks, the host's memory
 * and the engine's clock, and a definition's shell command. None changes a container.
 */
import { readFile, statfs } from 'node:fs/promises';
import { ApplicationFailure } from '@temporalio/activity';
import type Docker from 'dockerode';
import type { ContainerState, MemoryStats } from '../../contract';
import { heartbeatWhile } from '../../heartbeat';
import { asMissingBinary, missingBinary, type DockerEngine } from './engine';
import { demux, parseDf, parseProcesses, type DiskUsage, type ProcessTable } from './parse';
import { PREVIOUS_IMAGE_LABEL } from './labels';

const READABLE_ENV = ['DB_POOL_SIZE', 'PORT', 'FAULT', 'NODE_ENV'];

const isoOrNull = (t: string | undefined) => (t && !t.startsWith('0001-') ? t : null);

export function dockerReads(docker: Docker, { inspect, eventsSince, execArgv }: DockerEngine) {
  async function inspectContainer({ container }: { container: string }): Promise<ContainerState> {
    const info = await inspect(container);
    if (!info)
      return {
        exists: false,
        name: container,
        running: false,
        status: 'missing',
        exitCode: null,
        oomKilled: false,
        startedAt: null,
        finishedAt: null,
        restartCount: 0,
        image: '',
        imageCreatedAt: null,
        previousImage: null,
        memoryLimitBytes: 0,
        env: {},
      };
    const env: Record<string, string> = {};
    for (const kv of info.Config.Env ?? []) {
      const i = kv.indexOf('=');
      if (READABLE_ENV.includes(kv.slice(0, i))) env[kv.slice(0, i)] = kv.slice(i + 1);
    }
    const image = await docker
      .getImage(info.Image)
      .inspect()
      .catch(() => null);
    return {
      exists: true,
      name: container,
      running: info.State.Running,
      status: info.State.Status,
      exitCode: info.State.Running ? null : info.State.ExitCode,
      oomKilled: info.State.OOMKilled,
      startedAt: isoOrNull(info.State.StartedAt),
      finishedAt: isoOrNull(info.State.FinishedAt),
      restartCount: info.RestartCount,
      image: info.Config.Image,
      imageCreatedAt: image?.Created ?? null,
      previousImage: info.Config.Labels?.[PREVIOUS_IMAGE_LABEL] ?? null,
      memoryLimitBytes: info.HostConfig.Memory ?? 0,
      env,
    };
  }

  /** The last `tail` log lines, keeping only those matching `pattern` (the scan happens in the runbook). */
  async function containerLogs({
    container,
    tail,
    pattern,
  }: {
    container: string;
    tail: number;
    pattern: string;
  }): Promise<{ scanned: number; matching: string[] }> {
    const raw = (await docker
      .getContainer(container)
      .logs({ stdout: true, stderr: true, tail, follow: false })) as unknown as Buffer;
    const lines = demux(raw).split('\n').filter(Boolean);
    const re = new RegExp(pattern, 'i');
    return { scanned: lines.length, matching: lines.filter((l) => re.test(l)).slice(-50) };
  }

  /** The engine's memory numbers for the container (no exec: any image). */
  async function containerMemory({
    container,
  }: {
    container: string;
  }): Promise<{ usageBytes: number; limitBytes: number }> {
    const c = docker.getContainer(container);
    const stats = (await c.stats({ stream: false })) as {
      memory_stats: { usage?: number; limit?: number; stats?: { cache?: number; inactive_file?: number } };
    };
    const usage =
      (stats.memory_stats.usage ?? 0) -
      (stats.memory_stats.stats?.inactive_file ?? stats.memory_stats.stats?.cache ?? 0);
    return { usageBytes: usage, limitBytes: stats.memory_stats.limit ?? 0 };
  }

  /** The engine's numbers, and PID 1's RSS and the root disk read inside the container (the built-in runbooks). */
  async function containerStats({ container }: { container: string }): Promise<MemoryStats> {
    const { usageBytes: usage, limitBytes: limit } = await containerMemory({ container });
    // The seed's "memory from inside the container": ask the process table of PID 1 through docker exec.
    const probe = `const fs=require('fs');const m=/VmRSS:\\s+(\\d+)/.exec(fs.readFileSync('/proc/1/status','utf8'));let d=null;try{const s=fs.statfsSync('/');d=s.bavail/s.blocks*100}catch{}console.log(JSON.stringify({rss:m?Number(m[1])*1024:null,disk:d}))`;
    let processRssBytes: number | null = null;
    let diskFreePercent: number | null = null;
    try {
      const { output: out } = await execArgv(container, [process.execPath, '-e', probe], 15_000);
      const parsed = JSON.parse(out.trim().split('\n').pop() ?? '{}') as { rss?: number; disk?: number };
      processRssBytes = parsed.rss ?? null;
      diskFreePercent = parsed.disk ?? null;
    } catch {
      /* container without node, or not running */
    }
    return {
      usageBytes: usage,
      limitBytes: limit,
      percent: limit ? (usage / limit) * 100 : 0,
      processRssBytes,
      diskFreePercent,
    };
  }

  async function countRecentRestarts({
    container,
    windowMs,
  }: {
    container: string;
    windowMs: number;
  }): Promise<number> {
    return (await eventsSince(container, Date.now() - windowMs, ['restart'])).length;
  }

  /**
   * The Docker host's memory (the seed's `free -m`): the total from the engine; what is available from
   * /proc/meminfo when the engine is local (a unix socket: this host), else unknown.
   */
  async function hostMemory(): Promise<{ totalBytes: number | null; availableBytes: number | null }> {
    const info = (await docker.info()) as { MemTotal?: number };
    let availableBytes: number | null = null;
    if ((docker.modem as { socketPath?: string }).socketPath) {
      const meminfo = await readFile('/proc/meminfo', 'utf8').catch(() => '');
      const kib = /^MemAvailable:\s+(\d+) kB/m.exec(meminfo)?.[1];
      availableBytes = kib ? Number(kib) * 1024 : null;
    }
    return { totalBytes: info.MemTotal ?? null, availableBytes };
  }

  /** The engine's own clock (`/info` SystemTime): what a container's StartedAt is measured against. */
  async function engineTime(): Promise<string> {
    const info = (await docker.info()) as { SystemTime?: string };
    if (!info.SystemTime)
      throw ApplicationFailure.retryable('the engine reported no SystemTime', 'NoEngineTime');
    return info.SystemTime;
  }

  /**
   * A shell command in the container (`sh -c`), for probes and steps that a runbook definition names. The
   * answer says when the image has no shell rather than failing: many minimal images have none.
   */
  async function runInContainer({
    container,
    command,
    timeoutMs = 30_000,
  }: {
    container: string;
    command: string;
    timeoutMs?: number;
  }): Promise<{ exitCode: number | null; lines: string[]; timedOut: boolean; noShell: boolean }> {
    const info = await inspect(container);
    if (!info?.State.Running)
      throw ApplicationFailure.nonRetryable(`container ${container} is not running`, 'NotRunning');
    const run = await heartbeatWhile(
      execArgv(container, ['sh', '-c', command], timeoutMs).catch(asMissingBinary),
      'running',
    );
    if (missingBinary(run, 'sh')) return { exitCode: null, lines: [], timedOut: false, noShell: true };
    const lines = run.output.split('\n').filter(Boolean);
    return { exitCode: run.exitCode, lines: lines.slice(-50), timedOut: run.timedOut, noShell: false };
  }

  /** `df -P` of paths inside the container, and the Docker host's filesystem holding the engine's data. */
  async function diskUsage({
    container,
    paths,
    host,
  }: {
    container: string;
    paths: string[];
    host: boolean;
  }): Promise<DiskUsage> {
    const mounts: DiskUsage['mounts'] = [];
    let note: string | null = null;
    const run = await execArgv(container, ['df', '-P', '-k', ...paths], 15_000).catch(asMissingBinary);
    mounts.push(...parseDf(run.output));
    if (missingBinary(run, 'df')) note = 'the image has no df';
    else if (!mounts.length) note = `df printed nothing usable (exit code ${run.exitCode})`;
    let hostDisk: DiskUsage['host'] = null;
    if (host) {
      const root = ((await docker.info()) as { DockerRootDir?: string }).DockerRootDir;
      try {
        const st = root ? await statfs(root) : null;
        if (st)
          hostDisk = {
            path: root as string,
            usedPercent: Math.round(
              ((st.blocks - st.bfree) / Math.max(1, st.blocks - st.bfree + st.bavail)) * 100,
            ),
            availableMiB: Math.round((st.bavail * st.bsize) / 1048576),
          };
      } catch {
        /* the engine runs elsewhere: its data directory is not on this host */
      }
    }
    return { mounts, host: hostDisk, note };
  }

  /**
   * The container's processes by memory (the seed's `docker exec … top`): `ps` where the image has it,
   * else /proc read by the shell; neither (no shell) is reported as unavailable.
   */
  async function containerProcesses({ container }: { container: string }): Promise<ProcessTable> {
    // What `docker exec` started (this shell, other probes) is left out by parseProcesses.
    const script =
      'if command -v ps >/dev/null 2>&1; then ps -eo pid=,ppid=,rss=,pcpu=,comm=; ' +
      'else for d in /proc/[0-9]*; do p=${d#/proc/}; ' +
      'q=$(grep PPid $d/status 2>/dev/null | tr -s " \\t" " " | cut -d" " -f2); ' +
      'r=$(grep VmRSS $d/status 2>/dev/null | tr -s " \\t" " " | cut -d" " -f2); ' +
      'n=$(cat $d/comm 2>/dev/null); echo "$p ${q:-0} ${r:-0} 0 $n"; done; fi';
    const run = await execArgv(container, ['sh', '-c', script], 15_000).catch(asMissingBinary);
    if (missingBinary(run, 'sh'))
      return {
        available: false,
        processes: [],
        note: 'the image has no shell: its process table cannot be read from inside',
      };
    return { available: true, processes: parseProcesses(run.output), note: null };
  }

  return {
    inspectContainer,
    containerLogs,
    containerMemory,
    containerStats,
    countRecentRestarts,
    engineTime,
    hostMemory,
    runInContainer,
    diskUsage,
    containerProcesses,
  };
}
