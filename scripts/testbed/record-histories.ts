/**
 * Records workflow histories for the replay test (`npm run record-histories`): the incident scenarios as
 * `<INCIDENT_SET>-*.json`, the other workflows as `v2-*.json`. A history a released version recorded is never
 * overwritten: a scenario whose file exists is skipped, so adding a scenario records only it, and a new set
 * records every incident scenario with today's code. The un-prefixed files are the frozen
 * pre-state-machine code's, `v2-` the state machine's before `pages-first`, `v3-` before the release
 * baseline, `v4-` before engine revision 2; all must keep replaying. Guard command changes with a patch
 * (`hasPatch` in the incident).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { WorkflowHandle } from '@temporalio/client';
import { incidentWorkflow } from '../../workflows/incident';
import { reviewReminderWorkflow } from '../../workflows/incident/review-reminder';
import {
  acknowledgeSignal,
  acknowledgeUpdate,
  addNoteSignal,
  alertSignal,
  escalateSignal,
  escalateUpdate,
  resolveSignal,
  reviewScheduledSignal,
  setSeveritySignal,
} from '../../domain/messages';
import { historyEvents, waitUntilIdle } from './history';
import type { IncidentInput } from '../../domain/types';
import { testConfig } from './config';
import {
  MERGE_REVISION_8 as R8,
  RULES_REVISION_9 as R9,
  POLICY_REVISION_6 as R6,
  policyScenarios,
  RESPONDERS_REVISION_7 as R7,
} from './record-configs';
import { useProvisionedTestServer } from '../bench/bench-support';
import { createTestWorker, createTimeSkippingEnv, tempDir, workflowBundle } from './temporal';
import { createIncidentWorker } from '../../workers/worker';
import { createRecordWorker } from '../../workers/record-worker';
import { openStore } from '../../store';
import { Worker } from '@temporalio/worker';
import { readRunbookDefinition } from '../../config/runbook-definitions';
import { runbookRehearsalWorkflow } from '../../workflows/runbook/rehearsal';
import { fixtureActivities, readFixture, rehearsalInput } from '../../cli/runbook';
import { incidentIdOf } from '../../domain/incident-id';

const ROOT = path.resolve(__dirname, '..', '..');
const OUT = path.resolve(ROOT, 'test', 'histories');
/**
 * The incident scenarios' current set: v6 since engine revision 3 is the default (an Update answered before
 * the loop acts); v5 was engine revision 2 (afterLadder, alerts that raise, cancel as a command, history
 * bounds) and the runbooks' own task queue; v4 the release baseline (one patch marker for every patch before
 * it); v3 `pages-first` (paced Slack lane, one timer per deadline). Scenarios named `r4-…` run on engine
 * revision 4 (the store lane), on a worker that holds a store of its own (PGlite in a temporary directory);
 * `r5-…` on revision 5 (the store written where the workflow task runs) on such a worker, and `r5n-…` on
 * revision 5 on a worker that holds none (every write falls back to the lane, polled beside it); `r6-…`, `r7-…`
 * on revisions 6 and 7 with a team's escalation policy, roles and an added responder (`record-configs.ts`).
 */
const INCIDENT_SET = 'v6';

async function main() {
  useProvisionedTestServer();
  // A health endpoint the scenarios turn bad and good again.
  let healthy = true;
  const health = http.createServer((_req, res) => void res.writeHead(healthy ? 200 : 503).end());
  await new Promise<void>((r) => health.listen(0, '127.0.0.1', r));
  const healthUrl = `http://127.0.0.1:${(health.address() as { port: number }).port}/health`;
  const baseDir = tempDir();
  const env = await createTimeSkippingEnv();
  const taskQueue = 'record-histories';
  const worker = await createTestWorker({
    connection: env.nativeConnection,
    config: testConfig({
      resolution: { stabilityWatch: '10m', checkEvery: '5m' },
      history: { continueAsNewAfterEvents: 200 },
      services: {
        // A runbook whose Docker Engine is absent: its diagnosis fails, and the incident carries on.
        'watched-runbook': { container: 'no-such-app', healthUrls: [healthUrl] },
      },
      docker: { socketPath: path.join(baseDir, 'no-docker.sock') },
    }),
    taskQueue,
    baseDir,
  });
  const store = await openStore({ dataDir: path.join(baseDir, 'store') });
  const revision4 = await createIncidentWorker({
    connection: env.nativeConnection,
    config: testConfig({ engine: { revision: 4 }, history: { continueAsNewAfterEvents: 200 } }),
    taskQueue: `${taskQueue}-r4`,
    baseDir,
    store,
    buildId: 'revision-4',
    workflowBundle: await workflowBundle(),
  });
  const revision5 = { engine: { revision: 5 }, history: { continueAsNewAfterEvents: 200 } };
  const withStore5 = await createIncidentWorker({
    connection: env.nativeConnection,
    config: testConfig(revision5),
    taskQueue: `${taskQueue}-r5`,
    baseDir,
    store,
    buildId: 'revision-5',
    workflowBundle: await workflowBundle(),
  });
  const storeless5 = await createIncidentWorker({
    connection: env.nativeConnection,
    config: testConfig(revision5),
    taskQueue: `${taskQueue}-r5n`,
    baseDir,
    buildId: 'revision-5-storeless',
    workflowBundle: await workflowBundle(),
  });
  const lane5 = await createRecordWorker({
    connection: env.nativeConnection,
    db: store,
    baseDir,
    taskQueue: `${taskQueue}-r5n`,
  });
  // Revisions 6 to 9: a team's escalation policy; roles and an added responder; merge; notification rules.
  const policyWorker = async (patch: typeof R6, n: number) =>
    createIncidentWorker({
      connection: env.nativeConnection,
      config: testConfig(patch),
      taskQueue: `${taskQueue}-r${n}`,
      baseDir,
      store,
      buildId: `revision-${n}`,
      workflowBundle: await workflowBundle(),
    });
  const policyWorkers = [
    await policyWorker(R6, 6),
    await policyWorker(R7, 7),
    await policyWorker(R8, 8),
    await policyWorker(R9, 9),
  ];
  /** Child workflows to record after a scenario: file name → workflow id from the incident's id. */
  const children: Record<string, (incidentId: string) => string> = {};
  const input = (dedupKey: string, extra: Partial<IncidentInput> = {}): IncidentInput => ({
    dedupKey,
    service: 'checkout',
    scenario: 'health',
    severity: 'P1',
    summary: `recorded ${dedupKey}`,
    security: false,
    ...extra,
  });
  const notesResolved = async (h: WorkflowHandle<typeof incidentWorkflow>) => {
    await env.sleep('3m');
    await h.executeUpdate(acknowledgeUpdate, { args: [{ by: 'alice' }] });
    for (let n = 0; n < 30; n++) await h.signal(addNoteSignal, { by: 'alice', text: `note ${n}` });
    await env.sleep('10m');
    await h.signal(resolveSignal, { by: 'alice', summary: 'fixed' });
    await env.sleep('1m');
  };
  const alertsContinueAsNew = async (h: WorkflowHandle<typeof incidentWorkflow>) => {
    for (let n = 0; n < 120; n++)
      await h.signal(alertSignal, {
        alerts: [
          { fingerprint: `f${n}`, status: 'firing', summary: `a${n}`, labels: {}, source: 'alertmanager' },
        ],
      });
    await env.sleep('1m');
  };
  const scenarios: Record<string, (h: WorkflowHandle<typeof incidentWorkflow>) => Promise<void>> = {
    'p1-unacknowledged-ladder': async () => {
      await env.sleep('130m');
    },
    'p1-acknowledged-resolved': async (h) => {
      await env.sleep('5m');
      await h.signal(acknowledgeSignal, { by: 'alice' });
      await h.signal(addNoteSignal, { by: 'alice', text: 'looking' });
      await env.sleep('40m');
      await h.signal(reviewScheduledSignal, { by: 'alice' });
      await h.signal(resolveSignal, { by: 'alice', summary: 'fixed' });
      await env.sleep('1m');
    },
    'p2-severity-escalate-alerts': async (h) => {
      await env.sleep('10m');
      await h.signal(setSeveritySignal, { by: 'bob', severity: 'P1' });
      await h.signal(escalateSignal, { by: 'bob', reason: 'need help' });
      await h.signal(alertSignal, {
        alerts: [{ fingerprint: 'f1', status: 'firing', summary: 'a', labels: {}, source: 'alertmanager' }],
      });
      await env.sleep('20m');
      await h.signal(alertSignal, {
        alerts: [{ fingerprint: 'f1', status: 'resolved', summary: 'a', labels: {}, source: 'alertmanager' }],
      });
      await env.sleep('2m');
    },
    'p3-ticket': async () => {
      await env.sleep('5h');
    },
    // Updates, an ack timeout re-alert, an escalation, and closing when every alert resolved.
    'p1-update-ack-timeout-close': async (h) => {
      await env.sleep('3m');
      await h.executeUpdate(acknowledgeUpdate, { args: [{ by: 'alice' }] });
      await env.sleep('35m');
      await h.executeUpdate(escalateUpdate, { args: [{ by: 'alice', reason: 'need the DB team' }] });
      await h.signal(alertSignal, {
        alerts: [{ fingerprint: 'f1', status: 'resolved', summary: 'a', labels: {}, source: 'alertmanager' }],
      });
      await env.sleep('2m');
    },
    // Enough distinct alerts to continue as new; the first run (ending in continue-as-new) is recorded.
    'p2-continue-as-new': async (h) => {
      for (let n = 0; n < 120; n++)
        await h.signal(alertSignal, {
          alerts: [
            { fingerprint: `f${n}`, status: 'firing', summary: `a${n}`, labels: {}, source: 'alertmanager' },
          ],
        });
      await env.sleep('1m');
    },
    // The runbook child (twice: healthy, then failing after a relapse), the stability watch, a relapse
    // and a reopen, the close, and starting the review reminder.
    'p1-runbook-relapse-watch-reminder': async (h) => {
      await env.sleep('2m');
      await h.signal(acknowledgeSignal, { by: 'alice' });
      await h.signal(resolveSignal, { by: 'alice', summary: 'restarted' });
      await env.sleep('6m');
      healthy = false;
      await env.sleep('5m'); // the watch check fails: reopened, the runbook runs again and fails
      healthy = true;
      await env.sleep('3m');
      await h.signal(acknowledgeSignal, { by: 'alice' });
      await h.signal(resolveSignal, { by: 'alice', summary: 'restarted again' });
      await env.sleep('11m'); // stable for the whole watch: closed, review written, reminder started
      children[`${INCIDENT_SET}-runbook-child`] = (id) => `${id}-runbook-2`;
    },
    // A scenario written as a definition (disk-full): the policy carries it, the interpreter runs it (its
    // probes fail here, without Docker: the default cause), and the incident is resolved.
    'p2-runbook-definition': async (h) => {
      await env.sleep('2m');
      await h.signal(acknowledgeSignal, { by: 'alice' });
      await env.sleep('1m');
      await h.signal(resolveSignal, { by: 'alice', summary: 'cleaned up' });
      await env.sleep('1m');
    },
    // Revision 4: the store lane writes as the incident goes, the review waits for it and comes from the store.
    'r4-p1-acknowledged-notes-resolved': notesResolved,
    'r4-p2-continue-as-new': alertsContinueAsNew,
    // Revision 5: the same, the store written where the workflow task runs (or by the lane, without a store).
    'r5-p1-acknowledged-notes-resolved': notesResolved,
    'r5-p2-continue-as-new': alertsContinueAsNew,
    'r5n-p1-acknowledged-notes-resolved': notesResolved,
    ...policyScenarios((d) => env.sleep(d as Parameters<typeof env.sleep>[0])),
  };
  mkdirSync(OUT, { recursive: true });
  const running = [revision4, withStore5, storeless5, lane5, ...policyWorkers];
  const runAll = running.reduce<(f: () => Promise<void>) => Promise<void>>(
    (outer, w) => (f) => outer(() => w.runUntil(f)),
    (f) => f(),
  );
  await runAll(() =>
    worker.runUntil(async () => {
      // The review reminder, started on its own and first: with an incident's reminder (a child left
      // running by its completed parent) in the server, the Java test server stops skipping time at 24 h.
      // v8: with the meeting of engine revision 8 (proposed, the commander reminded, then the thread).
      const meeting = {
        closedAt: Date.parse('2026-12-07T10:00:00Z'),
        start: Date.parse('2026-12-07T14:00:00Z'),
        durationMs: 3_600_000,
        remindCommanderAfterMs: 7_200_000,
        invitees: ['alice', 'Tech lead (slack:U0TECHLEAD)', 'visitor'],
        commander: 'Tech lead (slack:U0TECHLEAD)',
        title: '[P2] checkout: down',
      };
      for (const [file, extra] of [
        ['v2-review-reminder', {}],
        ['v8-review-meeting', { meeting }],
      ] as const) {
        if (existsSync(path.join(OUT, `${file}.json`))) continue;
        const reminder = await env.client.workflow.start(reviewReminderWorkflow, {
          taskQueue,
          workflowId: `recorded-${file}`,
          args: [
            {
              incidentId: 'recorded-incident',
              reviewPath: 'incidents/recorded.md',
              thread: null,
              remindAfterMs: 86_400_000,
              ...extra,
            },
          ],
        });
        await env.sleep('25h');
        await waitUntilIdle(reminder).catch(() => undefined);
        writeFileSync(path.join(OUT, `${file}.json`), historyToJSON(await reminder.fetchHistory()));
        console.log(`recorded ${file}`);
      }
      for (const [name, drive] of Object.entries(scenarios)) {
        if (existsSync(path.join(OUT, `${INCIDENT_SET}-${name}.json`))) {
          console.log(`${INCIDENT_SET}-${name}: recorded before, kept`);
          continue;
        }
        const lane = /^r\d+n?-/.exec(name)?.[0].slice(0, -1);
        const bare = lane ? name.slice(lane.length + 1) : name;
        const severity = bare.startsWith('p2') ? 'P2' : bare.startsWith('p3') ? 'P3' : 'P1';
        const service = name.includes('runbook') ? 'watched-runbook' : 'checkout';
        const handle = await env.client.workflow.start(incidentWorkflow, {
          taskQueue: lane ? `${taskQueue}-${lane}` : taskQueue,
          workflowId: `recorded-${INCIDENT_SET}-${name}`,
          args: [
            input(name, {
              severity,
              service,
              ...(name.includes('definition') ? { scenario: 'disk-full' } : {}),
            }),
          ],
        });
        await env.sleep('1s');
        await drive(handle);
        await waitUntilIdle(handle).catch(() => undefined);
        const first = env.client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId);
        const history = await first.fetchHistory();
        await handle.terminate('recorded').catch(() => undefined);
        writeFileSync(path.join(OUT, `${INCIDENT_SET}-${name}.json`), historyToJSON(history));
        console.log(
          `recorded ${INCIDENT_SET}-${name}: ${history.events?.length} events (last run: ${(await historyEvents(handle)).length})`,
        );
        // A scenario that continued as new: its last run too (the close happens there).
        const last = await handle.describe();
        if (last.runId !== handle.firstExecutionRunId) {
          const lastHistory = await env.client.workflow
            .getHandle(handle.workflowId, last.runId)
            .fetchHistory();
          writeFileSync(path.join(OUT, `${INCIDENT_SET}-${name}-last-run.json`), historyToJSON(lastHistory));
          console.log(`recorded ${INCIDENT_SET}-${name}-last-run: ${lastHistory.events?.length} events`);
        }
        const incidentId = incidentIdOf(handle.workflowId, handle.firstExecutionRunId);
        for (const [file, idOf] of Object.entries(children)) {
          const child = env.client.workflow.getHandle(idOf(incidentId));
          const childHistory = await child.fetchHistory();
          await child.terminate('recorded').catch(() => undefined);
          writeFileSync(path.join(OUT, `${file}.json`), historyToJSON(childHistory));
          console.log(`recorded ${file}: ${childHistory.events?.length} events`);
          delete children[file];
        }
      }
    }),
  );
  await store.close();
  await recordRehearsal(env);
  await env.teardown();
  health.close();
}

/**
 * The interpreter of runbook definitions and the rehearsal around it: disk-full with its fixture (the
 * proposal approved, the step run and verified), on a worker whose activities answer from the fixture.
 */
async function recordRehearsal(env: Awaited<ReturnType<typeof createTimeSkippingEnv>>) {
  const files = ['v2-runbook-rehearsal', 'v2-runbook-interpreter'];
  if (files.every((f) => existsSync(path.join(OUT, `${f}.json`)))) {
    console.log('v2-runbook-rehearsal and v2-runbook-interpreter: recorded before, kept');
    return;
  }
  const definition = readRunbookDefinition(path.join(ROOT, 'runbooks', 'disk-full.yaml'));
  const fixture = readFixture(path.join(ROOT, 'runbooks', 'fixtures', 'disk-full.yaml'));
  const taskQueue = 'record-rehearsal';
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: fixtureActivities(fixture, definition),
  });
  await worker.runUntil(async () => {
    const handle = await env.client.workflow.start(runbookRehearsalWorkflow, {
      taskQueue,
      workflowId: 'recorded-v2-runbook-rehearsal',
      args: [rehearsalInput(definition, fixture, testConfig())],
    });
    await handle.result();
    const child = env.client.workflow.getHandle(`${handle.workflowId}-runbook`);
    for (const [file, h] of [
      [files[0], handle],
      [files[1], child],
    ] as const) {
      const history = await h.fetchHistory();
      writeFileSync(path.join(OUT, `${file}.json`), historyToJSON(history));
      console.log(`recorded ${file}: ${history.events?.length} events`);
    }
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
