/**
 * The real incident workflow while its workers come and go, on the dev server (the time-skipping server
 * cannot restart a worker: see simulation.test.ts). Incidents on three configurations with rungs of seconds
 * get random commands (notes, garbage, resends, acknowledgements, resolutions) from a seed, while the workers
 * are replaced at random: deploys (the new worker polls before the old one stops) and restarts (the old one
 * stops, then the new one starts), each new worker on the current code or the last landed release's (a
 * rollback). Two runs on the default engine revision: commands as Signals, and commands as Updates (as the
 * CLI, Slack and PagerDuty send them). RESTART_SIM_SEED replays a run.
 *
 * Judged by the oracle of the time-skipping simulation (sim-oracle.ts), with the waits a worker change
 * causes: a page may come up to LATE_MS late, rungs due meanwhile may collapse into it (no burst after
 * downtime), none may come early, none may be lost. What a worker change costs, measured: a task handed to
 * a stopping worker waits out its 10 s timeout (the dev server lacks `enableCancelWorkerPollsOnShutdown`), a
 * cached incident's task waits out the sticky queue's timeout; LATE_MS covers two of those in a row. A page
 * attempt lost with a worker of the previous release (no heartbeat timeout there) waits out the 30 s activity
 * timeout: such incidents are named and given that much more. No workflow task may fail, every Update is
 * answered, and every history replays on every code that may run it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection, WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { sendCommand } from '../../intake/commands';
import { COMMANDS, statusQuery } from '../../domain/messages';
import { ENGINE_REVISION } from '../../domain/policy';
import type { IncidentStatusView } from '../../domain/types';
import { createIncidentWorker, type IncidentWorker } from '../../workers/worker';
import type { SqlClient } from '../../store';
import { freshStore } from '../support/fresh-postgres';
import { EventType } from '../../scripts/testbed/history';
import { describeWith, serviceValue } from '../../scripts/testbed/services';
import {
  previousReleaseBundle,
  quietRuntime,
  tempDir,
  uniqueTaskQueue,
  workflowBundle,
} from '../../scripts/testbed/temporal';
import { startTestIncident } from '../support/dev-server';
import { failedTasks, lostPageAttempts, timedOutTaskWaitMs } from '../support/history-checks';
import { seededRandom, seedFrom, type SeededRandom } from '../support/seeded-random';
import { expectedPages, pageMismatchesUnderWaits, type OracleConfig } from '../support/sim-oracle';
import { resendAlert, signalGarbage, simulationConfig } from '../support/sim-config';

const SEED = seedFrom('RESTART_SIM_SEED');
/**
 * RESTART_SIM_REVISION=2 runs both tests on engine revision 2: its Updates, taken by a worker that never ran the
 * incident, can be written in an order no worker replays (docs/containment.md); revision 3 answers them first.
 */
const REVISION = process.env.RESTART_SIM_REVISION ? Number(process.env.RESTART_SIM_REVISION) : undefined;

interface Mode {
  updates: boolean;
  /** The engine revision new incidents take (undefined: the default). */
  revision?: number;
  queues: string[];
  /** The previous release runs some workers: only for runs on a revision it knows. */
  rollbacks: boolean;
}
const INCIDENTS = 30;
/** Steps and worker changes happen before this; then the last workers run on. */
const END_MS = 30_000;
const REPLACEMENTS = 6;
/**
 * How late a page may come: two 10 s waits in a row (a cached incident's task waiting out the sticky queue
 * of a worker that stopped, then handed to one that is stopping) less the time since the rung. A stuck incident
 * is still caught: it misses every rung after.
 */
const LATE_MS = 20_000;
/**
 * Changes 4.5 s apart can chain more than two waits (seed 1507510917: a page 26 s late on a loaded CI box). Each
 * is in the history as a timed-out task, so an incident may be late by what its own timed-out tasks waited, plus
 * this much for a restart's gap and the work after it; a wait nobody can account for still fails.
 */
const AFTER_WAITS_MS = 8_000;
/** How long an Update may wait for its answer: three of the worker changes' waits in a row, and then some. */
const UPDATE_ANSWER_MS = 35_000;
/** A page attempt lost with a worker whose pager has no heartbeat timeout waits out its 30 s timeout. */
const LOST_ATTEMPT_MS = 30_000;
/** The pager's heartbeat timeout (workflows/incident/effects.ts): how long a lost attempt takes to notice. */
const HEARTBEAT_TIMEOUT_MS = 5_000;
const S = 1000;

const VARIANTS: OracleConfig[] = [
  { respondWithinMs: { P1: 4 * S, P2: 8 * S }, ladderLength: 4, repeat: 1, afterLadder: 'repeat-last' },
  { respondWithinMs: { P1: 5 * S, P2: 10 * S }, ladderLength: 2, repeat: 0, afterLadder: 'stop' },
  { respondWithinMs: { P1: 6 * S, P2: 12 * S }, ladderLength: 3, repeat: 2, afterLadder: 'repeat-last' },
];

type Step = { kind: 'note' | 'acknowledge' | 'resolve' } | { kind: 'garbage' } | { kind: 'resend' };

interface Scenario {
  id: string;
  variant: number;
  severity: 'P1' | 'P2';
  /** Offsets from the run's start; half a second off the rungs' whole seconds. */
  steps: Array<{ at: number; step: Step }>;
}

const slot = (r: SeededRandom, from = 1) => (from + r.int(Math.max(1, END_MS / S - from - 1))) * S + 500;

function scenario(r: SeededRandom, id: string): Scenario {
  const steps: Scenario['steps'] = [];
  for (let i = r.int(3); i > 0; i--) steps.push({ at: slot(r), step: { kind: 'note' } });
  for (let i = r.int(3); i > 0; i--) steps.push({ at: slot(r), step: { kind: 'garbage' } });
  if (r.chance(0.4)) steps.push({ at: slot(r), step: { kind: 'resend' } });
  if (r.chance(0.5)) {
    const ackAt = slot(r, 4);
    steps.push({ at: ackAt, step: { kind: 'acknowledge' } });
    if (r.chance(0.5)) steps.push({ at: slot(r, Math.ceil(ackAt / S) + 1), step: { kind: 'resolve' } });
  }
  steps.sort((a, b) => a.at - b.at);
  // An alert that fires after the resolution reopens the incident and starts the ladder again (a relapse),
  // which this oracle does not model: no alert signal follows a resolve.
  const resolvedAt = steps.find((x) => x.step.kind === 'resolve')?.at ?? Infinity;
  const kept = steps.filter(
    (x) => x.at <= resolvedAt || (x.step.kind !== 'garbage' && x.step.kind !== 'resend'),
  );
  return { id, variant: r.int(VARIANTS.length), severity: r.chance(0.7) ? 'P1' : 'P2', steps: kept };
}

const CURRENT = 'current';
const PREVIOUS = 'previous';
type Release = typeof CURRENT | typeof PREVIOUS;

interface WorkerSet {
  release: Release;
  workers: Array<{ worker: IncidentWorker; running: Promise<void> }>;
}

describeWith(
  ['temporal', 'postgres'],
  'restart simulation: the real workflow while workers are deployed and restarted',
  () => {
    let connection: Connection;
    let native: NativeConnection;
    let client: Client;
    let mode: Mode;
    const previous = previousReleaseBundle();
    const baseDir = tempDir();
    let generation = 0;
    const live: WorkerSet[] = [];
    // Every worker holds the store, as the cluster's do (its PostgreSQL): incidents record themselves where
    // their workflow tasks run, and a worker's death leaves no write behind.
    let store: SqlClient;

    async function startSet(release: Release): Promise<WorkerSet> {
      generation += 1;
      const workers = await Promise.all(
        VARIANTS.map(async (v, i) => {
          const worker = await createIncidentWorker({
            connection: native,
            config: simulationConfig(v, mode.revision),
            taskQueue: mode.queues[i],
            baseDir,
            env: {},
            workflowBundle: release === CURRENT ? await workflowBundle() : { code: previous.code },
            // A build id per worker: two workers of the same code in one process cannot share one.
            buildId: `${release}-${generation}`,
            overrides: { identity: `restart-sim-${release}-${generation}` },
            store,
          });
          const running = worker.run();
          running.catch((err: Error) =>
            process.stderr.write(`worker ${release}-${generation}: ${err.message}\n`),
          );
          return { worker, running };
        }),
      );
      const set = { release, workers };
      live.push(set);
      return set;
    }

    async function stopSet(set: WorkerSet) {
      for (const w of set.workers) w.worker.shutdown();
      await Promise.allSettled(set.workers.map((w) => w.running));
      live.splice(live.indexOf(set), 1);
    }

    beforeAll(async () => {
      quietRuntime();
      connection = await Connection.connect({ address: serviceValue('temporal') });
      native = await NativeConnection.connect({ address: serviceValue('temporal') });
      client = new Client({ connection });
      store = await freshStore('restart_sim');
    });
    afterAll(async () => {
      for (const set of [...live]) await stopSet(set);
      await native?.close();
      await connection?.close();
      await store?.close();
    });

    async function simulate(updates: boolean, revision?: number) {
      const rollbacks = revision === undefined || revision <= ENGINE_REVISION;
      mode = { updates, revision, rollbacks, queues: VARIANTS.map(() => uniqueTaskQueue('restart-sim')) };
      console.log(
        `restart simulation: seed ${SEED} (RESTART_SIM_SEED=${SEED} replays), commands as ${updates ? 'Updates' : 'Signals'}${revision ? `, engine revision ${revision}` : ''}`,
      );
      const r = seededRandom(SEED);
      const scenarios = Array.from({ length: INCIDENTS }, (_, i) => scenario(r, `${SEED}-${i}`));
      // Worker changes at least 4 s apart, so that one change's waits end before the next begins.
      const changes = Array.from({ length: REPLACEMENTS }, (_, i) => ({
        at: 2 * S + i * 4.5 * S + r.int(1500),
        deploy: r.chance(0.5),
        release: (r.chance(0.4) && rollbacks ? PREVIOUS : CURRENT) as Release,
      }));
      // At least one rollback whatever the seed: six changes at 40 % each miss it one run in 21 (seed
      // 1206858238 did, and the run proved nothing about the previous release). Other seeds are unchanged.
      if (rollbacks && !changes.some((c) => c.release === PREVIOUS))
        changes[r.int(REPLACEMENTS)].release = PREVIOUS;
      let current = await startSet(CURRENT);

      const started = Date.now();
      const handles = new Map<string, WorkflowHandle>();
      for (const s of scenarios)
        handles.set(
          s.id,
          await startTestIncident(client, mode.queues[s.variant], `restart-sim-${s.id}`, {
            severity: s.severity,
            summary: `restart sim ${s.id}`,
          }),
        );
      const problems: string[] = [];
      const sent = new Map<string, number>(); // scenario id → when its incident was first owned (sent)
      const waitUntil = (at: number) =>
        new Promise((res) => setTimeout(res, Math.max(0, started + at - Date.now())));

      const perform = async (s: Scenario, step: Step, stepAt: number) => {
        const handle = handles.get(s.id)!;
        try {
          if (step.kind === 'garbage') await signalGarbage(handle);
          else if (step.kind === 'resend') await resendAlert(handle);
          else {
            if (step.kind !== 'note' && !sent.has(s.id)) sent.set(s.id, Date.now());
            const name = step.kind === 'note' ? 'addNote' : step.kind;
            const args =
              step.kind === 'resolve' ? { by: 'sim', summary: 'fixed' } : { by: 'sim', text: 'note' };
            if (!updates) await handle.signal(COMMANDS[name].signal as never, args as never);
            else {
              const answered = await Promise.race([
                sendCommand(handle, name, args).then(() => true),
                new Promise<false>((res) => setTimeout(() => res(false), UPDATE_ANSWER_MS)),
              ]);
              if (!answered)
                problems.push(`${s.id}: ${name} Update not answered within ${UPDATE_ANSWER_MS / S} s`);
            }
          }
        } catch (err) {
          // A resolved incident's run may have closed: what is sent after is refused, as it should be.
          const resolvedBefore = s.steps.some((x) => x.at < stepAt && x.step.kind === 'resolve');
          if (!(err instanceof WorkflowNotFoundError && resolvedBefore))
            problems.push(`${s.id}: ${step.kind} failed: ${(err as Error).message}`);
        }
      };
      const stepsDone = Promise.all(
        scenarios.flatMap((s) =>
          s.steps.map(async ({ at, step }) => {
            await waitUntil(at);
            await perform(s, step, at);
          }),
        ),
      );
      const changeLog: string[] = [];
      for (const change of changes) {
        await waitUntil(change.at);
        const t = Date.now();
        if (change.deploy) {
          const next = await startSet(change.release);
          await stopSet(current);
          current = next;
        } else {
          await stopSet(current);
          current = await startSet(change.release);
        }
        changeLog.push(`${change.deploy ? 'deploy' : 'restart'} to ${change.release} ${Date.now() - t} ms`);
      }
      await stepsDone;
      // The last workers run on until every page due by the end has had its time.
      await waitUntil(END_MS + LATE_MS + 2 * S);

      const histories: Array<{ workflowId: string; history: unknown }> = [];
      let timedOut = 0;
      const lostAttempts = { withHeartbeat: 0, without: 0 };
      const tasksBy = new Map<Release, number>();
      // Every incident's state at once, each judged up to its own answer (they page on meanwhile).
      const answers = await Promise.all(
        scenarios.map(async (s) => {
          const view = await handles
            .get(s.id)!
            .query(statusQuery)
            .catch((err: Error) => err);
          return { view, viewAt: Date.now() };
        }),
      );
      for (const [i, s] of scenarios.entries()) {
        const handle = handles.get(s.id)!;
        const { view, viewAt } = answers[i];
        await handle.terminate('simulation checked').catch(() => undefined);
        const history = await handle.fetchHistory();
        histories.push({ workflowId: handle.workflowId, history });
        const events = history.events ?? [];
        const failed = failedTasks(events);
        if (failed.length)
          problems.push(
            `${s.id}: ${failed.length} failed workflow task(s): ${failed[0]?.cause} ${failed[0]?.failure?.message ?? ''}`,
          );
        for (const e of events) {
          const who = e.workflowTaskCompletedEventAttributes?.identity;
          const release = who?.startsWith(`restart-sim-${PREVIOUS}`) ? PREVIOUS : CURRENT;
          if (who) tasksBy.set(release, (tasksBy.get(release) ?? 0) + 1);
        }
        timedOut += events.filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT).length;
        // An activity's first attempts leave no event: a later attempt's number says one was lost. Code with
        // the pager's heartbeat timeout gets it back within seconds; code without (the previous release)
        // after the 30 s start-to-close timeout.
        const lost = lostPageAttempts(events);
        lostAttempts.withHeartbeat += lost.withHeartbeat;
        lostAttempts.without += lost.without;
        if (view instanceof Error) {
          problems.push(`${s.id}: status query failed: ${view.message}`);
          continue;
        }
        problems.push(...check(s, view, started, sent.get(s.id), viewAt, lost, timedOutTaskWaitMs(events)));
      }
      const byCurrent = tasksBy.get(CURRENT) ?? 0;
      const byPrevious = tasksBy.get(PREVIOUS) ?? 0;

      // Both codes, unless the runs are on a revision the previous release does not know (it never runs them).
      const codes = [
        ['the current code', await workflowBundle()],
        [`release ${previous.commit.slice(0, 10)}`, { code: previous.code }],
      ] as const;
      for (const [name, bundle] of rollbacks ? codes : codes.slice(0, 1))
        for await (const result of Worker.runReplayHistories({ workflowBundle: bundle }, histories))
          if (result.error)
            problems.push(`${result.workflowId}: does not replay on ${name}: ${result.error.message}`);

      console.log(
        `restart simulation: ${INCIDENTS} incidents; ${changeLog.join(', ')}; workflow tasks by the current code ` +
          `${byCurrent}, by release ${previous.commit.slice(0, 10)} ${byPrevious}; workflow tasks timed out ` +
          `${timedOut}, page attempts lost ${lostAttempts.withHeartbeat} under the heartbeat timeout and ${lostAttempts.without} without one (previous release); ${problems.length} problem(s)`,
      );
      if (problems.length) {
        const dir = path.join(baseDir, 'failed-histories');
        mkdirSync(dir, { recursive: true });
        for (const h of histories)
          writeFileSync(path.join(dir, `${h.workflowId}.json`), JSON.stringify(h.history));
        console.log(
          `restart simulation: seed ${SEED} failed; histories in ${dir}:\n${problems.slice(0, 30).join('\n')}`,
        );
      }
      for (const set of [...live]) await stopSet(set);
      expect(problems).toEqual([]);
      expect(byCurrent).toBeGreaterThan(0);
      if (rollbacks) expect(byPrevious).toBeGreaterThan(0);
    }

    test(
      `${INCIDENTS} incidents agree with the oracle through ${REPLACEMENTS} worker changes and rollbacks (seed ${SEED})`,
      () => simulate(false, REVISION),
      180_000,
    );

    test(
      `commands sent as Updates are answered and every history replays, through worker changes and rollbacks (seed ${SEED})`,
      () => simulate(true, REVISION),
      180_000,
    );
  },
);

function check(
  s: Scenario,
  view: IncidentStatusView,
  started: number,
  ownedSentAt: number | undefined,
  viewAt: number,
  lost: { withHeartbeat: number; without: number },
  waitedMs: number,
): string[] {
  const cfg = VARIANTS[s.variant];
  const t0 = Date.parse(view.createdAt);
  const ownedAt = [view.acknowledgedAt, view.resolvedAt]
    .filter((t): t is string => !!t)
    .map((t) => Date.parse(t) - t0);
  const owned = ownedAt.length ? Math.min(...ownedAt) : null;
  const seen = view.paged
    .filter((p) => p.level >= 0)
    .map((p) => ({ offsetMs: Date.parse(p.at) - t0, level: p.level }));
  const late =
    Math.max(LATE_MS, AFTER_WAITS_MS + waitedMs) +
    (lost.without ? LOST_ATTEMPT_MS : 0) +
    (lost.withHeartbeat ? HEARTBEAT_TIMEOUT_MS + S : 0);
  // Required: rungs due LATE before the command that owned it was sent (or before the query).
  const requiredUntil = (ownedSentAt ?? viewAt) - t0;
  const problems = pageMismatchesUnderWaits(
    expectedPages(cfg, s.severity, owned ?? viewAt - t0),
    seen,
    late,
    requiredUntil,
  );
  const afterOwned = owned === null ? [] : seen.filter((p) => p.offsetMs > owned + 1000);
  if (afterOwned.length)
    problems.push(`${afterOwned.length} page(s) after the incident was owned at +${owned} ms`);
  return problems.map(
    (p) =>
      `${s.id} (variant ${s.variant}, ${s.severity}${lost.without ? ', a page attempt lost without heartbeat' : ''}): ${p}; opened +${t0 - started} ms; timed-out tasks waited ${waitedMs} ms; ` +
      `steps: ${s.steps.map((x) => `+${x.at} ms ${x.step.kind}`).join(', ')}; pages: ${seen.map((p) => `${p.level}@+${p.offsetMs}`).join(' ')}`,
  );
}
