/**
 * The real incident workflow under random schedules on the time-skipping server: batches of incidents on
 * three configurations, driven by Updates, Signals, garbage, alert resends and time skips picked from a
 * seed, each checked against an oracle written from the documented rules (sim-oracle.ts):
 * pages at their due time ±1 s, no failed or timed-out workflow task, every Update answered within 5 s,
 * and every history replays on the current code. SIM_SEED replays a run; SIM_SCENARIOS sets the count.
 *
 * No run ends with work in flight. A run terminated while one of its activities or workflow tasks is in
 * flight leaves the time-skipping server's lock held for good (sdk-java#1138), and from then on every
 * `env.sleep` takes real time (seed 263805422 did: `sleep 0.5 min took 30004 ms`). So each batch is checked
 * at its horizon, half a minute off every rung, and terminated a quarter minute later, when nothing is due.
 * A skip that takes more than STALL_MS of real time fails the test at once and says so.
 *
 * Each configuration's queue is polled by two workers, as during a rolling deploy or a rollback: one runs
 * the current workflow code, the other the last landed release's (`test/releases/`, `npm run
 * record-release`). Which incidents each runs depends on which poll the server answers (one run: 347
 * workflow tasks on the current code, 10,011 on the previous); the test asserts both took some. Every
 * history then replays on both codes: the other code can take any run over at any point, which is what a
 * deploy or a rollback does.
 *
 * Worker restarts are not simulated here. On the time-skipping server a stopped worker's sticky queue
 * keeps the next task of every incident it had cached, and time skipping waits for it (150–160 s per
 * restart, measured; a 1 s `stickyQueueScheduleToStartTimeout` does not help). A worker without a cache
 * (`maxCachedWorkflows: 0`) would hand every task to either code, but SDK 1.24's Core evicts such a run in
 * the middle of a task that has local activities pending ("There should not be any outgoing commands … if
 * the activation was only an eviction. This is an SDK bug.", fixed upstream in sdk-rust#1482) and the task
 * times out. Replaying every history on a fresh worker stands for the restart; the dev-server tests
 * (worker-crash, durability, start-containment) restart real workers.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { sendCommand } from '../../intake/commands';
import type { CommandName } from '../../workflows/incident/commands';
import { incidentWorkflow } from '../../workflows/incident';
import { COMMANDS, statusQuery } from '../../domain/messages';
import type { IncidentStatusView } from '../../domain/types';
import { createIncidentWorker, type IncidentWorker } from '../../workers/worker';
import type { SqlClient } from '../../store';
import { freshStore } from '../support/fresh-postgres';
import { describeWith } from '../../scripts/testbed/services';
import { seededRandom, seedFrom, type SeededRandom } from '../support/seeded-random';
import { cadenceMismatches, expectedPages, pageMismatches, type OracleConfig } from '../support/sim-oracle';
import { resendAlert, signalGarbage, simulationConfig } from '../support/sim-config';
import { failedTasks, timedOutTasks } from '../support/history-checks';
import { ReplayPipeline } from '../support/replay-pipeline';
import {
  createTimeSkippingEnv,
  previousReleaseBundle,
  tempDir,
  uniqueTaskQueue,
  workflowBundle,
} from '../../scripts/testbed/temporal';

const SEED = seedFrom('SIM_SEED');
const SCENARIOS = Number(process.env.SIM_SCENARIOS ?? 200);
/**
 * The simulation stops starting batches after this; the test's own bound adds the last batch and the replay
 * of the last histories. 200 scenarios took 94-105 s alone on the 2-core machine, 102-136 s inside `.ci/run`;
 * on 2026-12-06 the same machine ran everything about 1.8 times slower (50 scenarios in 45 s, with the code
 * of 557255b as with today's), and 150 s held 150.
 */
const BUDGET_MS = 210_000;
const TEST_TIMEOUT_MS = 300_000;
/** Fewer than all within the budget passes (a slow machine), down to this many: said in the log. */
const MIN_SCENARIOS = Math.ceil((SCENARIOS * 3) / 4);
/** Real time one skip may take: a skip holds no real work, so a slow one means the server's clock is stuck. */
const STALL_MS = 20_000;
const BATCH = 25;
const MIN = 60_000;
/** Workflow time each scenario covers, in whole minutes, and to the half minute (rungs fall on whole ones). */
const HORIZON_MINUTES = 150;
const HORIZON = HORIZON_MINUTES * MIN + 30_000;

const VARIANTS: OracleConfig[] = [
  { respondWithinMs: { P1: 10 * MIN, P2: 25 * MIN }, ladderLength: 4, repeat: 1, afterLadder: 'repeat-last' },
  { respondWithinMs: { P1: 7 * MIN, P2: 20 * MIN }, ladderLength: 2, repeat: 0, afterLadder: 'stop' },
  { respondWithinMs: { P1: 5 * MIN, P2: 15 * MIN }, ladderLength: 3, repeat: 2, afterLadder: 'repeat-last' },
];

const CURRENT = 0 as const;
const PREVIOUS = 1 as const;
type Release = typeof CURRENT | typeof PREVIOUS;
const IDENTITY = ['sim-current-code', 'sim-previous-release'] as const;

type Step =
  | { kind: 'command'; name: CommandName; args: Record<string, unknown>; update: boolean }
  | { kind: 'garbage' }
  | { kind: 'resend' };

interface Scenario {
  id: string;
  variant: number;
  severity: 'P1' | 'P2';
  /** Severity changed or escalated by hand: checked against the cadence, not the exact schedule. */
  loose: boolean;
  steps: Array<{ at: number; step: Step }>;
}

// Half a minute off every rung (rungs fall on whole minutes), so no step races a page.
const slot = (r: SeededRandom, fromMinute = 0) =>
  (fromMinute + r.int(Math.max(1, HORIZON_MINUTES - fromMinute))) * MIN + 30_000;

function scenario(r: SeededRandom, id: string): Scenario {
  const severity = r.chance(0.6) ? 'P1' : 'P2';
  const loose = r.chance(0.25);
  const steps: Scenario['steps'] = [];
  const update = () => r.chance(0.5);
  for (let i = r.int(3); i > 0; i--)
    steps.push({
      at: slot(r),
      step: { kind: 'command', name: 'addNote', args: { by: 'sim', text: `note ${i}` }, update: update() },
    });
  for (let i = r.int(3); i > 0; i--) steps.push({ at: slot(r), step: { kind: 'garbage' } });
  if (r.chance(0.5)) steps.push({ at: slot(r), step: { kind: 'resend' } });
  if (loose) {
    const other = severity === 'P1' ? 'P2' : 'P1';
    steps.push({
      at: slot(r),
      step: { kind: 'command', name: 'setSeverity', args: { by: 'sim', severity: other }, update: update() },
    });
    if (r.chance(0.5))
      steps.push({
        at: slot(r),
        step: { kind: 'command', name: 'escalate', args: { by: 'sim', reason: 'sim' }, update: update() },
      });
  }
  if (r.chance(0.6)) {
    const ackAt = slot(r);
    steps.push({
      at: ackAt,
      step: { kind: 'command', name: 'acknowledge', args: { by: 'sim' }, update: update() },
    });
    if (r.chance(0.6))
      steps.push({
        at: slot(r, Math.ceil(ackAt / MIN)),
        step: { kind: 'command', name: 'resolve', args: { by: 'sim', summary: 'fixed' }, update: update() },
      });
  }
  // One step per instant for an incident: a signal and an Update sent together can share a workflow task,
  // and the time-skipping server records such a task's Update before the activity it caused, a history that
  // does not replay (the dev server records it in order: signal-update-replay.test.ts).
  steps.sort((a, b) => a.at - b.at);
  for (let i = 1; i < steps.length; i++)
    if (steps[i].at <= steps[i - 1].at) steps[i].at = steps[i - 1].at + MIN;
  return { id, variant: r.int(VARIANTS.length), severity, loose, steps };
}

describeWith(['testServer', 'postgres'], 'simulation: the real workflow under random schedules', () => {
  let env: TestWorkflowEnvironment;
  const queues = VARIANTS.map(() => uniqueTaskQueue('sim'));
  /** Per configuration: the current code's worker, then the previous release's. */
  const workers: Array<Array<{ worker: IncidentWorker; running: Promise<void> }>> = VARIANTS.map(() => []);
  const previous = previousReleaseBundle();
  const baseDir = tempDir();
  // A store, as every shipped topology has one: incidents (engine revision 5, the default) record themselves
  // there. The current code's workers hold it, write where their workflow tasks run and poll the lane; the
  // previous release's hold none (one process cannot poll a queue twice), so their tasks write by the lane,
  // as `npm start`'s worker does. With no store at all, writes would wait on a lane nobody polls, and a
  // batch would end with that work in flight.
  let store: SqlClient;

  async function startWorker(v: number, release: Release) {
    const worker = await createIncidentWorker({
      connection: env.nativeConnection,
      config: simulationConfig(VARIANTS[v]),
      taskQueue: queues[v],
      baseDir,
      env: {},
      workflowBundle: release === CURRENT ? await workflowBundle() : { code: previous.code },
      buildId: release === CURRENT ? 'current' : `release-${previous.commit}`,
      overrides: { identity: IDENTITY[release] },
      store: release === CURRENT ? store : undefined,
    });
    const running = worker.run();
    running.catch((err: Error) => process.stderr.write(`worker ${v}/${release} failed: ${err.message}\n`));
    workers[v][release] = { worker, running };
  }
  beforeAll(async () => {
    env = await createTimeSkippingEnv();
    store = await freshStore('sim');
    for (let v = 0; v < VARIANTS.length; v++)
      for (const release of [CURRENT, PREVIOUS]) await startWorker(v, release);
  });
  /** Skips workflow time; fails at once when the server's clock does not move. */
  async function skip(ms: number) {
    const t = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const stalled = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `time skipping stalled: a skip of ${ms / 1000} s took more than ${STALL_MS / 1000} s of real ` +
                'time (did a run end with work in flight? see docs/development.md)',
            ),
          ),
        STALL_MS,
      );
    });
    try {
      await Promise.race([env.sleep(ms), stalled]);
    } finally {
      clearTimeout(timer);
    }
    if (process.env.SIM_DEBUG) process.stderr.write(`skip ${ms / MIN} min took ${Date.now() - t} ms\n`);
  }
  afterAll(async () => {
    const all = workers.flat();
    for (const w of all) w.worker.shutdown();
    await Promise.all(all.map((w) => w.running));
    await env?.teardown();
    await store?.close();
  });

  test(
    `${SCENARIOS} scenarios (at least ${MIN_SCENARIOS} within the budget) agree with the oracle (seed ${SEED})`,
    async () => {
      console.log(
        `simulation: seed ${SEED} (SIM_SEED=${SEED} replays), ${SCENARIOS} scenarios in batches of ${BATCH}, ` +
          `current code beside release ${previous.commit.slice(0, 10)}`,
      );
      const r = seededRandom(SEED);
      const started = Date.now();
      const problems: string[] = [];
      // Every history replays on the current code and on the previous release's, a batch behind.
      const replay = new ReplayPipeline([
        { name: 'the current code', bundle: await workflowBundle() },
        { name: `release ${previous.commit.slice(0, 10)}`, bundle: { code: previous.code } },
      ]);
      let done = 0;
      let slowestUpdate = 0;
      const tasksBy = new Map<string, number>();
      const perform = async (s: Scenario, handle: WorkflowHandle, step: Step) => {
        if (step.kind === 'garbage') await signalGarbage(handle);
        else if (step.kind === 'resend') await resendAlert(handle);
        else if (step.update) {
          const t = Date.now();
          const answered = await Promise.race([
            sendCommand(handle, step.name, step.args).then(() => true),
            new Promise<false>((res) => setTimeout(() => res(false), 5000)),
          ]);
          slowestUpdate = Math.max(slowestUpdate, Date.now() - t);
          if (!answered) problems.push(`${s.id}: ${step.name} Update not answered within 5 s`);
        } else {
          await handle.signal(COMMANDS[step.name].signal as never, step.args as never);
        }
      };
      while (done < SCENARIOS && Date.now() - started < BUDGET_MS) {
        const batch = Array.from({ length: Math.min(BATCH, SCENARIOS - done) }, (_, i) =>
          scenario(r, `${SEED}-${done + i}`),
        );
        const handles = new Map<string, WorkflowHandle>();
        await Promise.all(
          batch.map(async (s) =>
            handles.set(
              s.id,
              await env.client.workflow.start(incidentWorkflow, {
                taskQueue: queues[s.variant],
                workflowId: `sim-${s.id}`,
                args: [
                  {
                    dedupKey: `sim-${s.id}`,
                    service: 'checkout',
                    scenario: 'health',
                    severity: s.severity,
                    summary: `sim ${s.id}`,
                    security: false,
                  },
                ],
              }),
            ),
          ),
        );
        const times = [...new Set(batch.flatMap((s) => s.steps.map((x) => x.at)))].sort((a, b) => a - b);
        let now = 0;
        for (const at of times) {
          await skip(at - now);
          now = at;
          await Promise.all(
            batch.flatMap((s) =>
              s.steps
                .filter((x) => x.at === at)
                .map(({ step, at: stepAt }) =>
                  perform(s, handles.get(s.id)!, step).catch((err: Error) => {
                    // A resolved incident's run has closed: what is sent after is refused, as it should be.
                    const resolvedBefore = s.steps.some(
                      (x) => x.at < stepAt && x.step.kind === 'command' && x.step.name === 'resolve',
                    );
                    if (!(err instanceof WorkflowNotFoundError && resolvedBefore))
                      problems.push(`${s.id}: ${stepName(step)} failed: ${err.message}`);
                  }),
                ),
            ),
          );
        }
        await skip(Math.max(0, HORIZON - now));
        const end = Math.max(HORIZON, now);
        const recorded = await Promise.all(
          batch.map(async (s) => {
            const handle = handles.get(s.id)!;
            const [history, view] = await Promise.all([
              handle.fetchHistory(),
              handle.query(statusQuery).catch((err: Error) => err),
            ]);
            const events = history.events ?? [];
            for (const e of events) {
              const who = e.workflowTaskStartedEventAttributes?.identity;
              if (who) tasksBy.set(who, (tasksBy.get(who) ?? 0) + 1);
            }
            const broken = failedTasks(events).length + timedOutTasks(events).length;
            if (broken) problems.push(`${s.id}: ${broken} failed or timed-out workflow task(s)`);
            if (view instanceof Error) problems.push(`${s.id}: status query failed: ${view.message}`);
            else
              problems.push(
                ...check(s, view, end).map(
                  (p) =>
                    `${s.id} (variant ${s.variant}, ${s.severity}${s.loose ? ', loose' : ''}): ${p}; steps: ${s.steps.map((x) => `+${x.at / 1000}s ${stepName(x.step)}`).join(', ')}; pages: ${view.paged.map((x) => `${x.level}@+${(Date.parse(x.at) - Date.parse(view.createdAt)) / 1000}s`).join(' ')}`,
                ),
              );
            return { workflowId: handle.workflowId, history };
          }),
        );
        replay.add(recorded);
        // A quarter minute on, nothing is in flight: the runs can end without locking the server's clock.
        await skip(15_000);
        await Promise.all(
          [...handles.values()].map((h) => h.terminate('simulation checked').catch(() => undefined)),
        );
        done += batch.length;
      }
      problems.push(...(await replay.finish()));
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      console.log(
        `simulation: ${done} scenarios, workflow tasks by the current code ${tasksBy.get(IDENTITY[CURRENT]) ?? 0}, ` +
          `by the previous release ${tasksBy.get(IDENTITY[PREVIOUS]) ?? 0}, slowest Update ${slowestUpdate} ms, ${seconds} s; ${problems.length} problem(s)`,
      );
      if (problems.length) {
        const dir = path.join(baseDir, 'failed-histories');
        mkdirSync(dir, { recursive: true });
        for (const h of replay.histories.filter((h) =>
          problems.some((p) => p.startsWith(h.workflowId.slice(4))),
        ))
          writeFileSync(path.join(dir, `${h.workflowId}.json`), JSON.stringify(h.history));
        console.log(
          `simulation: seed ${SEED} failed; histories in ${dir}:\n${problems.slice(0, 30).join('\n')}`,
        );
      }
      expect(problems).toEqual([]);
      // Both codes ran incidents: the side-by-side check was not vacuous.
      expect(tasksBy.get(IDENTITY[CURRENT])).toBeGreaterThan(0);
      expect(tasksBy.get(IDENTITY[PREVIOUS])).toBeGreaterThan(0);
      if (done < SCENARIOS)
        console.log(`simulation: only ${done} of ${SCENARIOS} scenarios within ${BUDGET_MS / 1000} s`);
      expect(done).toBeGreaterThanOrEqual(MIN_SCENARIOS);
    },
    TEST_TIMEOUT_MS,
  );
});

const stepName = (step: Step) =>
  step.kind === 'command' ? `${step.name} (${step.update ? 'Update' : 'Signal'})` : step.kind;

function check(s: Scenario, view: IncidentStatusView, end: number): string[] {
  const cfg = VARIANTS[s.variant];
  const t0 = Date.parse(view.createdAt);
  const owned = [view.acknowledgedAt, view.resolvedAt]
    .filter((t): t is string => !!t)
    .map((t) => Date.parse(t) - t0);
  const ownedAt = owned.length ? Math.min(...owned) : null;
  const seen = view.paged
    .filter((p) => p.level >= 0)
    .map((p) => ({ offsetMs: Date.parse(p.at) - t0, level: p.level }));
  if (!s.loose) return pageMismatches(expectedPages(cfg, s.severity, ownedAt ?? end), seen);
  // The batch started its incidents together; a step's offset from this one's opening is within a second.
  const escalated = s.steps
    .filter((x) => x.step.kind === 'command' && x.step.name === 'escalate')
    .map((x) => x.at);
  const cadence = cfg.respondWithinMs.P1 + cfg.respondWithinMs.P2;
  return cadenceMismatches(seen, ownedAt, end, cadence, cfg.afterLadder === 'repeat-last', escalated, 2000);
}
