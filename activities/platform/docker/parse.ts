/** What the Docker reads parse: `df`, the process table, and the engine's multiplexed log stream. */
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
