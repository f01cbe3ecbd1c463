/**
 * Keeps a set of child processes running, as `npm run cluster` needs: each in its own process group with
 * its own log file; one that exits without being asked to is started again after a backoff (1 s, doubling
 * to 30 s, back to 1 s once it has stayed up a minute). `stop()` stops them in the reverse order of start,
 * SIGTERM first and SIGKILL after the process's grace period.
 */
import type { ChildProcess } from 'node:child_process';
import { renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { killGroup, spawnLogged, waitFor } from '../testbed/local-services';

export interface ProcessSpec {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** Polled after the first start until true; a restart is not waited for. */
  ready?: () => Promise<boolean>;
  readyTimeoutMs?: number;
  /** How long the stop signal may take before SIGKILL (the Temporal server drains for several seconds). */
  stopGraceMs?: number;
  /** SIGTERM unless the program wants another (PostgreSQL's SIGTERM waits for every client to leave). */
  stopSignal?: NodeJS.Signals;
}

interface Supervised {
  spec: ProcessSpec;
  child?: ChildProcess;
  logFile: string;
  restarts: number;
  startedAt: number;
  backoffMs: number;
  timer?: NodeJS.Timeout;
  /** Stopped on purpose for a while (an outage): not restarted by the exit handler. */
  held: boolean;
}

const MIN_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 30_000;
const STABLE_AFTER_MS = 60_000;

export class Supervisor {
  private readonly processes: Supervised[] = [];
  private stopping = false;

  constructor(
    private readonly logDir: string,
    private readonly log: (line: string) => void,
    /** Where the current pid of every process is written, as JSON (name → pid), on every (re)start. */
    private readonly pidFile: string,
  ) {}

  /** Starts `spec` and waits until it is ready; throws (naming its log) if it exits or times out first. */
  async start(spec: ProcessSpec): Promise<void> {
    const entry: Supervised = {
      spec,
      logFile: path.join(this.logDir, `${spec.name}.log`),
      restarts: 0,
      startedAt: 0,
      backoffMs: MIN_BACKOFF_MS,
      held: false,
    };
    this.processes.push(entry);
    const child = this.launch(entry);
    if (spec.ready) await waitFor(spec.name, spec.ready, child, entry.logFile, spec.readyTimeoutMs ?? 60_000);
  }

  /** Current pids by process name. */
  pids(): Record<string, number> {
    return Object.fromEntries(
      this.processes.filter((p) => p.child?.pid).map((p) => [p.spec.name, p.child!.pid!]),
    );
  }

  /** Stops `name` as `stop()` would and starts it again after `downMs`: an outage on purpose (chaos runs). */
  async outage(name: string, downMs: number): Promise<void> {
    const entry = this.processes.find((p) => p.spec.name === name);
    if (!entry?.child) throw new Error(`no supervised process named ${name}`);
    entry.held = true;
    clearTimeout(entry.timer);
    await killGroup(entry.child, entry.spec.stopGraceMs ?? 10_000, entry.spec.stopSignal);
    await new Promise((r) => setTimeout(r, downMs));
    entry.held = false;
    if (this.stopping) return;
    const child = this.launch(entry);
    this.log(`${name} started again after a ${downMs / 1000} s outage (pid ${child.pid})`);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const entry of this.processes) clearTimeout(entry.timer);
    for (const entry of [...this.processes].reverse())
      if (entry.child) await killGroup(entry.child, entry.spec.stopGraceMs ?? 10_000, entry.spec.stopSignal);
  }

  private launch(entry: Supervised): ChildProcess {
    const { spec } = entry;
    // Its own process group: Ctrl-C reaches us, and we stop it in order.
    const child = spawnLogged(spec.command, spec.args, entry.logFile, spec.env);
    entry.child = child;
    entry.startedAt = Date.now();
    this.writePids();
    child.once('exit', (code, signal) => {
      if (this.stopping || entry.held) return;
      const upMs = Date.now() - entry.startedAt;
      if (upMs > STABLE_AFTER_MS) entry.backoffMs = MIN_BACKOFF_MS;
      const delay = entry.backoffMs;
      entry.backoffMs = Math.min(MAX_BACKOFF_MS, entry.backoffMs * 2);
      this.log(
        `${spec.name} (pid ${child.pid}) exited (${signal ?? `code ${code}`}) after ${Math.round(upMs / 1000)} s; starting it again in ${delay / 1000} s (see ${entry.logFile})`,
      );
      entry.timer = setTimeout(() => {
        if (this.stopping) return;
        entry.restarts += 1;
        const again = this.launch(entry);
        this.log(`${spec.name} started again (pid ${again.pid}, restart ${entry.restarts})`);
      }, delay);
    });
    return child;
  }

  private writePids(): void {
    const tmp = `${this.pidFile}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(this.pids(), null, 2)}\n`);
    renameSync(tmp, this.pidFile);
  }
}
