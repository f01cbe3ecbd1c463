/**
 * Docker Engine activities (dockerode). Every mitigation checks the container's state before acting, so a
 * retried activity or a worker killed mid-step never restarts a service twice.
 */
import { readFile, statfs } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationFailure } from '@temporalio/activity';
import { heartbeatWhile } from './heartbeat';
import Docker from 'dockerode';
import type { ContainerState, MemoryStats, MitigationResult } from './contract';

export type { ContainerState, MemoryStats, MitigationResult };

const READABLE_ENV = ['DB_POOL_SIZE', 'PORT', 'FAULT', 'NODE_ENV'];
export const PREVIOUS_IMAGE_LABEL = 'durable-runbooks.previous-image';
/** On a replica made by `scaleOut`: the container it replicates. */
export const REPLICA_OF_LABEL = 'durable-runbooks.replica-of';

const isoOrNull = (t: string | undefined) => (t && !t.startsWith('0001-') ? t : null);

export function createDockerActivities(docker: Docker) {
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

  async function countRecentRestarts({
    container,
    windowMs,
  }: {
    container: string;
    windowMs: number;
  }): Promise<number> {
    return (await eventsSince(container, Date.now() - windowMs, ['restart'])).length;
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

  /**
   * `docker restart` (works on stopped containers too, and is what the budget counts), effectively once:
   * if the container started after `requestedAt`, or a stop/restart is already under way since then, the
   * earlier attempt is awaited instead of restarting again.
   */
  async function restartContainer({
    container,
    requestedAt,
    stopTimeoutSeconds = 10,
  }: {
    container: string;
    requestedAt: string;
    stopTimeoutSeconds?: number;
  }): Promise<MitigationResult> {
    const since = Date.parse(requestedAt);
    const info = await inspectOrFail(container);
    if (info.State.Running && Date.parse(info.State.StartedAt) >= since)
      return {
        action: 'none',
        detail: `${container} already restarted at ${info.State.StartedAt} (since this step began)`,
        startedAt: info.State.StartedAt,
      };
    // Our restart always begins with a `kill` (the stop signal). A container that merely died since (an OOM
    // kill, a crash: `oom`/`die` and nothing else) is not being restarted by anyone: restart it now.
    const underway = await eventsSince(container, since, ['kill', 'stop', 'restart', 'start']);
    if (underway.length) {
      const startedAt = await heartbeatWhile(
        waitRunningSince(container, since, (stopTimeoutSeconds + 60) * 1000),
        'awaiting restart begun earlier',
      );
      return {
        action: 'none',
        detail: `${container} restart begun by an earlier attempt completed at ${startedAt}`,
        startedAt,
      };
    }
    await heartbeatWhile(docker.getContainer(container).restart({ t: stopTimeoutSeconds }), 'restarting');
    const after = await inspect(container);
    return {
      action: 'restarted',
      detail: `${container} restarted (started at ${after?.State.StartedAt})`,
      startedAt: after?.State.StartedAt ?? null,
    };
  }

  const startContainer = (args: { container: string }) =>
    heartbeatWhile(startContainerOnce(args), 'starting');
  async function startContainerOnce({ container }: { container: string }): Promise<MitigationResult> {
    const info = await inspectOrFail(container);
    if (info.State.Running)
      return { action: 'none', detail: `${container} is already running`, startedAt: info.State.StartedAt };
    await docker.getContainer(container).start();
    const after = await inspect(container);
    return { action: 'started', detail: `${container} started`, startedAt: after?.State.StartedAt ?? null };
  }

  /**
   * Re-creates the container with changed environment or image (raising the pool size, rolling back).
   * Idempotent: a container that already has the wanted settings is left alone.
   */
  interface RecreateArgs {
    container: string;
    env?: Record<string, string>;
    image?: string;
    stopTimeoutSeconds?: number;
  }
  const recreateContainer = (args: RecreateArgs) => heartbeatWhile(recreateContainerOnce(args), 'recreating');
  async function recreateContainerOnce({
    container,
    env = {},
    image,
    stopTimeoutSeconds = 10,
  }: RecreateArgs): Promise<MitigationResult> {
    const retired = `${container}-replaced`;
    let info = await inspect(container);
    if (!info) info = await inspect(retired); // crashed between rename and create: carry on from the old one
    if (!info)
      throw ApplicationFailure.nonRetryable(`container ${container} does not exist`, 'NoSuchContainer');
    const current = new Map(
      (info.Config.Env ?? []).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
    );
    const wantImage = image ?? info.Config.Image;
    const satisfied =
      info.Name === `/${container}` &&
      info.Config.Image === wantImage &&
      Object.entries(env).every(([k, v]) => current.get(k) === v);
    if (satisfied && info.State.Running)
      return {
        action: 'none',
        detail: `${container} already runs with the wanted settings`,
        startedAt: info.State.StartedAt,
      };
    if (satisfied) return startContainerOnce({ container });
    // What the container inherited from its old image belongs to that image: a rollback takes the
    // previous image's own defaults instead of carrying the newer ones over.
    const oldImage = image
      ? await docker
          .getImage(info.Image)
          .inspect()
          .catch(() => null)
      : null;
    const inherited = new Set(oldImage?.Config?.Env ?? []);
    for (const [k, v] of [...current]) if (inherited.has(`${k}=${v}`)) current.delete(k);
    const sameCmd = JSON.stringify(oldImage?.Config?.Cmd ?? null) === JSON.stringify(info.Config.Cmd);
    for (const [k, v] of Object.entries(env)) current.set(k, v);
    const labels = { ...(info.Config.Labels ?? {}) };
    if (image && image !== info.Config.Image) labels[PREVIOUS_IMAGE_LABEL] = info.Config.Image;
    if (info.Name === `/${container}`) {
      await docker
        .getContainer(info.Id)
        .stop({ t: stopTimeoutSeconds })
        .catch(() => undefined);
      const old = docker.getContainer(info.Id);
      await old.rename({ name: retired }).catch(async (err) => {
        // The engine may have applied a rename whose answer was lost: trust the state, not the error.
        if ((await old.inspect()).Name !== `/${retired}`) throw err;
      });
    }
    const sameEntrypoint =
      JSON.stringify(oldImage?.Config?.Entrypoint ?? null) === JSON.stringify(info.Config.Entrypoint ?? null);
    const created = await createLike(info, {
      name: container,
      image: wantImage,
      env: [...current].map(([k, v]) => `${k}=${v}`),
      labels,
      // What the old image supplied is left to the new one.
      cmd: !(oldImage && sameCmd),
      entrypoint: !(oldImage && sameEntrypoint),
    });
    await created.start();
    await docker
      .getContainer(info.Id)
      .remove({ force: true })
      .catch(() => undefined);
    const after = await inspect(container);
    const changes = [
      ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
      ...(image ? [`image ${image}`] : []),
    ].join(', ');
    return {
      action: 'recreated',
      detail: `${container} recreated with ${changes}`,
      startedAt: after?.State.StartedAt ?? null,
    };
  }

  /**
   * A container like `info`: everything it was given survives (ports, mounts, user, entrypoint, networks
   * with their aliases, capabilities, limits, labels, health check), with the changes asked for.
   */
  async function createLike(
    info: Docker.ContainerInspectInfo,
    want: {
      name: string;
      image: string;
      env: string[];
      labels: Record<string, string>;
      cmd: boolean;
      entrypoint: boolean;
    },
  ): Promise<Docker.Container> {
    const [firstNetwork, ...otherNetworks] = userNetworks(info);
    // dockerode's type omits StopSignal, which the engine reports.
    const config = info.Config as typeof info.Config & { StopSignal?: string };
    const created = await docker.createContainer({
      name: want.name,
      Image: want.image,
      ...(want.cmd ? { Cmd: info.Config.Cmd, WorkingDir: info.Config.WorkingDir } : {}),
      ...(want.entrypoint ? { Entrypoint: info.Config.Entrypoint } : {}),
      Env: want.env,
      Labels: want.labels,
      User: info.Config.User,
      ExposedPorts: info.Config.ExposedPorts,
      Volumes: info.Config.Volumes,
      Tty: info.Config.Tty,
      OpenStdin: info.Config.OpenStdin,
      ...(config.StopSignal ? { StopSignal: config.StopSignal } : {}),
      ...(info.Config.Healthcheck ? { Healthcheck: info.Config.Healthcheck } : {}),
      HostConfig: info.HostConfig,
      ...(firstNetwork
        ? { NetworkingConfig: { EndpointsConfig: { [firstNetwork.name]: firstNetwork.endpoint } } }
        : {}),
    });
    for (const network of otherNetworks)
      await docker
        .getNetwork(network.name)
        .connect({ Container: created.id, EndpointConfig: network.endpoint });
    return created;
  }

  /**
   * The seed's `docker-compose up --scale app=N`: replicas `<name>-2`…`<name>-N` made like the container,
   * on its networks with its aliases (so its name resolves to all of them). Idempotent: replicas that
   * exist are started if stopped, never made twice. Host networking or published host ports would make
   * replicas fight over the ports: refused (scale behind a load balancer instead).
   */
  const scaleOut = (args: { container: string; replicas: number }) =>
    heartbeatWhile(scaleOutOnce(args), 'scaling');
  async function scaleOutOnce({
    container,
    replicas,
  }: {
    container: string;
    replicas: number;
  }): Promise<MitigationResult> {
    const info = await inspectOrFail(container);
    const published = Object.values(info.HostConfig.PortBindings ?? {}).some((b) =>
      (b as { HostPort?: string }[] | null)?.some((p) => p.HostPort),
    );
    if (info.HostConfig.NetworkMode === 'host' || published)
      throw ApplicationFailure.nonRetryable(
        `replicas of ${container} would fight over its host ports (${published ? 'published ports' : 'host networking'}): scale behind a load balancer instead`,
        'CannotScale',
      );
    let made = 0;
    let started = 0;
    for (let i = 2; i <= replicas; i++) {
      const name = `${container}-${i}`;
      const replica = await inspect(name);
      if (replica?.State.Running) continue;
      if (replica) {
        await docker.getContainer(name).start();
        started += 1;
        continue;
      }
      const created = await createLike(info, {
        name,
        image: info.Config.Image,
        env: info.Config.Env ?? [],
        labels: { ...(info.Config.Labels ?? {}), [REPLICA_OF_LABEL]: container },
        cmd: true,
        entrypoint: true,
      });
      await created.start();
      made += 1;
    }
    return {
      action: made || started ? 'started' : 'none',
      detail: `${container} runs as ${replicas} replicas (${made} created, ${started} started, ${replicas - 1 - made - started} already running)`,
      startedAt: info.State.StartedAt,
    };
  }

  async function raiseMemoryLimit({
    container,
    limitBytes,
  }: {
    container: string;
    limitBytes: number;
  }): Promise<MitigationResult> {
    const info = await inspectOrFail(container);
    if ((info.HostConfig.Memory ?? 0) >= limitBytes)
      return {
        action: 'none',
        detail: `memory limit already ${info.HostConfig.Memory} bytes`,
        startedAt: info.State.StartedAt,
      };
    await docker.getContainer(container).update({ Memory: limitBytes, MemorySwap: -1 });
    return {
      action: 'updated',
      detail: `memory limit raised to ${Math.round(limitBytes / 1048576)} MiB`,
      startedAt: info.State.StartedAt,
    };
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
    restartContainer,
    startContainer,
    recreateContainer,
    raiseMemoryLimit,
    scaleOut,
  };
}

/**
 * The user-defined networks a container is attached to, with its aliases (minus the engine's own: the old
 * container's short id) and fixed addresses, to attach its replacement the same way. The built-in modes
 * (`host`, `none`, `bridge`, `container:…`) travel in HostConfig.NetworkMode.
 */
function userNetworks(
  info: Docker.ContainerInspectInfo,
): { name: string; endpoint: Docker.EndpointSettings }[] {
  const builtIn = ['host', 'none', 'bridge', 'default'];
  return Object.entries(info.NetworkSettings?.Networks ?? {})
    .filter(([name]) => !builtIn.includes(name) && !info.HostConfig.NetworkMode?.startsWith('container:'))
    .map(([name, settings]) => ({
      name,
      endpoint: {
        ...(settings.IPAMConfig ? { IPAMConfig: settings.IPAMConfig } : {}),
        Aliases: ((settings.Aliases ?? []) as string[]).filter((a) => !info.Id.startsWith(a)),
      },
    }));
}

type ExecResult = { exitCode: number | null; output: string; timedOut: boolean };

/** The engine refuses to exec a binary the image lacks either at once (an error) or as exit code 126/127. */
function asMissingBinary(err: Error): ExecResult {
  if (/executable file not found|no such file or directory/i.test(err.message))
    return { exitCode: 127, output: `exec: ${err.message}`, timedOut: false };
  throw err;
}

/** Whether the engine could not start `binary` itself (not: the binary ran and a command inside failed). */
function missingBinary(run: ExecResult, binary: string): boolean {
  return (
    (run.exitCode === 126 || run.exitCode === 127) &&
    (run.output.includes(`"${binary}": executable file not found`) ||
      run.output.includes(`exec: "${binary}"`) ||
      /^\s*$/.test(run.output))
  );
}

export interface DiskUsage {
  mounts: { filesystem: string; mountedOn: string; usedPercent: number; availableMiB: number }[];
  host: { path: string; usedPercent: number; availableMiB: number } | null;
  /** Why the container's disks could not be read, if they could not. */
  note: string | null;
}

export interface ProcessTable {
  available: boolean;
  processes: { pid: number; rssKiB: number; cpuPercent: number; command: string }[];
  note: string | null;
}

/** `df -P -k` output: one line per filesystem after the header (duplicates, as for two paths on one disk, once). */
export function parseDf(output: string): DiskUsage['mounts'] {
  const seen = new Set<string>();
  const mounts: DiskUsage['mounts'] = [];
  for (const line of output.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 6 || !/^\d+%$/.test(f[4])) continue;
    const mountedOn = f.slice(5).join(' ');
    if (seen.has(mountedOn)) continue;
    seen.add(mountedOn);
    mounts.push({
      filesystem: f[0],
      mountedOn,
      usedPercent: Number(f[4].slice(0, -1)),
      availableMiB: Math.round(Number(f[3]) / 1024),
    });
  }
  return mounts;
}

/**
 * `pid ppid rss(KiB) cpu% command` lines, biggest memory first: PID 1 and what descends from it. A process
 * `docker exec` started (this probe's shell, another probe's, the runtime's `runc:[2:INIT]`) has its
 * parent outside the container (ppid 0) and is not the container's.
 */
export function parseProcesses(output: string): ProcessTable['processes'] {
  const rows = output
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 5 && /^\d+$/.test(f[0]) && /^\d+$/.test(f[1]));
  const parent = new Map(rows.map((f) => [f[0], f[1]]));
  const underInit = (pid: string): boolean => {
    const seen = new Set<string>();
    for (let p: string | undefined = pid; p !== undefined && !seen.has(p); p = parent.get(p)) {
      if (p === '1') return true;
      seen.add(p);
    }
    return false;
  };
  return rows
    .filter((f) => underInit(f[0]))
    .map((f) => ({
      pid: Number(f[0]),
      rssKiB: Number(f[2]) || 0,
      cpuPercent: Number(f[3]) || 0,
      command: f.slice(4).join(' ').slice(0, 200),
    }))
    .sort((a, b) => b.rssKiB - a.rssKiB);
}

/** Docker multiplexes stdout/stderr in 8-byte-framed chunks when no TTY is attached. */
export function demux(buffer: Buffer): string {
  let out = '';
  let i = 0;
  while (i + 8 <= buffer.length && (buffer[i] === 1 || buffer[i] === 2) && buffer[i + 1] === 0) {
    const size = buffer.readUInt32BE(i + 4);
    out += buffer.subarray(i + 8, i + 8 + size).toString('utf8');
    i += 8 + size;
  }
  return i === 0 ? buffer.toString('utf8') : out;
}

export type DockerActivities = ReturnType<typeof createDockerActivities>;
