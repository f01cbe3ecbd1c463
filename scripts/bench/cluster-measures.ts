/** What the cluster benchmark measures outside the cluster: CPU per component, and when each first page went out. */
import { closeSync, fstatSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/**
 * CPU seconds used so far by each component: the processes of its process groups and their descendants
 * (PostgreSQL's server leaves the group of the runuser that started it).
 */
export function cpuSeconds(groups: Record<string, number[]>): Record<string, number> {
  const procs = new Map<number, { ppid: number; pgrp: number; ticks: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime + stime, and what its exited children used (a server's finished backends)
    const ticks = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    procs.set(Number(entry), { ppid: Number(fields[1]), pgrp: Number(fields[2]), ticks });
  }
  const componentOf = (pid: number, pgids: Set<number>): boolean => {
    for (let p = pid, depth = 0; p > 1 && depth < 20; depth++) {
      const info = procs.get(p);
      if (!info) return false;
      if (pgids.has(info.pgrp)) return true;
      p = info.ppid;
    }
    return false;
  };
  const out: Record<string, number> = {};
  for (const [name, list] of Object.entries(groups)) {
    const pgids = new Set(list.filter(Boolean));
    let ticks = 0;
    for (const [pid, info] of procs) if (componentOf(pid, pgids)) ticks += info.ticks;
    out[name] = ticks / TICKS_PER_SECOND;
  }
  const self = process.cpuUsage();
  out.client = (self.user + self.system) / 1e6;
  return out;
}

/** CPU seconds by component since `before` (a `cpuSeconds` reading of the same groups). */
export function cpuSince(
  groups: Record<string, number[]>,
  before: Record<string, number>,
): Record<string, number> {
  const after = cpuSeconds(groups);
  return Object.fromEntries(
    Object.keys(after).map((k) => [k, Number((after[k] - (before[k] ?? 0)).toFixed(1))]),
  );
}

/**
 * First-page times (epoch ms) by workflow id, from the notification journal as it grows: each read parses
 * only the lines written since the last (the journal reaches tens of thousands of lines in a run).
 */
export class FirstPages {
  private readonly pages = new Map<string, number>();
  private offset = 0;

  constructor(private readonly file: string) {}

  read(): Map<string, number> {
    let fd: number;
    try {
      fd = openSync(this.file, 'r');
    } catch {
      return this.pages; // nothing written yet
    }
    try {
      const grown = Buffer.alloc(fstatSync(fd).size - this.offset);
      readSync(fd, grown, 0, grown.length, this.offset);
      const end = grown.lastIndexOf('\n'); // a line still being written waits for the next read
      if (end < 0) return this.pages;
      this.offset += end + 1;
      for (const line of grown.subarray(0, end).toString('utf8').split('\n')) {
        if (!line.includes('"pagerduty.trigger"')) continue;
        const entry = JSON.parse(line) as { at: string; incidentId: string };
        // The journal names the incident by workflow id and a run suffix.
        const workflowId = entry.incidentId.slice(0, entry.incidentId.lastIndexOf('-'));
        if (!this.pages.has(workflowId)) this.pages.set(workflowId, Date.parse(entry.at));
      }
    } finally {
      closeSync(fd);
    }
    return this.pages;
  }
}
