/**
 * `npm run chaos -- [alerts] [groups]`: the cluster of `npm run cluster` under failure, with counts printed.
 *
 * 1. A storm of `alerts` Alertmanager posts (default 10,000) over `groups` group keys (default 100) through the
 *    proxy while a worker is SIGKILLed every 10 s (the supervisor starts it again) and one intake replica is
 *    SIGKILLed. Goals: every alert accepted and known to its incident (0 lost), exactly `groups` incidents,
 *    0 duplicate pages in the notification journal.
 * 2. The Temporal server SIGKILLed right after a P1 incident's first page: its next page still fires on time
 *    (the ladder's step, ± 2 s).
 * 3. PostgreSQL down for 10 s: the intake answers 503 with Retry-After meanwhile; every alert sent then is
 *    accepted once it is back, and nothing is lost.
 *
 * Runs its own cluster (state in .data/chaos, ports chosen free) with the shipped configuration (or
 * RUNBOOKS_CONFIG) changed only where the run needs it: P1 steps of 20 s, the ladder walked once, the
 * intake's per-source limit lifted (every post comes through one proxy). Exit code 1 when a goal is missed.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DEFAULT_CONFIG_PATH } from '../../config';
import { statusQuery } from '../../domain/messages';
import {
  clusterSupervisor,
  scratchClusterSettings,
  startCluster,
  type RawConfig,
  type RunningCluster,
} from '../ops/cluster';
import { deliver, pool, sleep, type Delivery } from './bench-support';
import { REPO_ROOT } from '../ops/temporal-server';

const LADDER_STEP_S = 20;
const WORKER_KILL_EVERY_MS = 10_000;

interface JournalLine {
  at: string;
  kind: string;
  incidentId: string;
  dedupKey?: string;
  contact?: string;
}

function readJournal(file: string): JournalLine[] {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as JournalLine);
}

const pages = (journal: JournalLine[]) => journal.filter((e) => e.kind === 'pagerduty.trigger');

/** The journal's incident id is the workflow id and a run suffix. */
const pagesOf = (journal: JournalLine[], workflowId: string) =>
  pages(journal).filter((e) => e.incidentId.startsWith(`${workflowId}-`));

/** The run's changes: P1 ladder steps of LADDER_STEP_S, the ladder walked once. */
function chaosAdjust(raw: RawConfig): void {
  raw.severityPolicy.P1 = { ...(raw.severityPolicy.P1 as object), respondWithin: `${LADDER_STEP_S}s` };
  raw.escalation = { ...raw.escalation, repeat: 0 };
}

async function main() {
  const alerts = Number(process.argv[2] ?? 10_000);
  const groups = Number(process.argv[3] ?? 100);
  const log = (line: string) => console.log(`[chaos] ${line}`);
  const stateDir = path.join(REPO_ROOT, '.data', 'chaos');
  const { settings, journalFile } = await scratchClusterSettings(
    stateDir,
    Number(process.env.WORKERS ?? 2),
    process.env.RUNBOOKS_CONFIG ?? DEFAULT_CONFIG_PATH,
    chaosAdjust,
  );
  const supervisor = clusterSupervisor(settings, (line) => log(`supervisor: ${line}`));
  const onSignal = () => void supervisor.stop().then(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const cluster: RunningCluster = await startCluster(settings, log, supervisor);
  const connection = await Connection.connect({ address: cluster.temporalAddress });
  const client = new Client({ connection });
  const pidOf = (name: string) => supervisor.pids()[name];
  const goals: { goal: string; met: boolean; detail: string }[] = [];
  try {
    // 1. The storm. Ten group keys are active at a time and a new ten start every tenth of the storm, so
    // incidents open (and page) all through it, not only in its first second.
    const run = Date.now().toString(36);
    const perWave = Math.max(1, Math.floor(alerts / 10));
    const groupOf = (i: number) => (i % (groups / 10)) + (groups / 10) * Math.min(9, Math.floor(i / perWave));
    const body = (i: number) => {
      const group = groupOf(i);
      const labels = {
        alertname: 'ChaosStorm',
        service: 'checkout',
        severity: 'critical',
        group: `g${group}`,
      };
      return {
        version: '4',
        groupKey: `chaos-${run}-${group}`,
        status: 'firing',
        receiver: 'chaos',
        commonLabels: labels,
        alerts: [
          {
            status: 'firing',
            labels,
            annotations: { summary: `chaos alert ${i}` },
            fingerprint: `fp-${run}-${i}`,
          },
        ],
      };
    };
    const url = `${cluster.intakeUrl}/alerts/alertmanager`;
    const kills: string[] = [];
    let storming = true;
    const stormStarted = performance.now();
    const chaosMonkey = (async () => {
      await sleep(2000);
      if (!storming) return;
      process.kill(-pidOf('intake-1'), 'SIGKILL');
      kills.push(`intake-1 at ${Math.round(performance.now() - stormStarted)} ms`);
      for (let k = 0; storming; k++) {
        await sleep(WORKER_KILL_EVERY_MS);
        if (!storming) break;
        const name = `worker-${(k % settings.workers) + 1}`;
        process.kill(-pidOf(name), 'SIGKILL');
        kills.push(`${name} at ${Math.round(performance.now() - stormStarted)} ms`);
      }
    })();
    log(`storm: ${alerts} alerts over ${groups} group keys through ${url}, 50 in flight...`);
    const deliveries: Delivery[] = new Array(alerts);
    await pool(alerts, 50, async (i) => {
      deliveries[i] = await deliver(url, body(i));
    });
    storming = false;
    await chaosMonkey;
    const stormSeconds = (performance.now() - stormStarted) / 1000;
    const accepted = deliveries.filter((d) => d.status === 202 || d.status === 200).length;
    const incidents = [...new Set(deliveries.map((d) => d.workflowId).filter((id): id is string => !!id))];
    const retried = deliveries.filter((d) => d.refused.length).length;
    log(
      `storm sent in ${stormSeconds.toFixed(1)} s (${Math.round(alerts / stormSeconds)}/s); kills: ${kills.join(', ')}`,
    );

    // Every accepted alert reaches its incident (the intake answered only once Temporal had it).
    log('waiting until every incident knows all of its alerts...');
    let known = 0;
    const settleDeadline = Date.now() + 300_000;
    for (;;) {
      const counts = await Promise.all(
        incidents.map(async (id) => {
          try {
            return (await client.workflow.getHandle(id).query(statusQuery)).alertCounts?.known ?? 0;
          } catch {
            return 0; // a worker is coming back: ask again
          }
        }),
      );
      known = counts.reduce((a, b) => a + b, 0);
      if (known >= alerts || Date.now() > settleDeadline) break;
      await sleep(1000);
    }
    const incidentCount = await client.workflow.count('WorkflowType = "incidentWorkflow"');
    // The last incidents to open page a moment after their alerts are in.
    const pageDeadline = Date.now() + 60_000;
    const someUnpaged = () => {
      const journal = readJournal(journalFile);
      return incidents.some((id) => !pagesOf(journal, id).length);
    };
    while (someUnpaged() && Date.now() < pageDeadline) await sleep(500);
    const journal = readJournal(journalFile);
    const pageKeys = pages(journal).map((e) => JSON.stringify([e.incidentId, e.dedupKey, e.contact]));
    const duplicatePages = pageKeys.length - new Set(pageKeys).size;
    const pagedIncidents = incidents.filter((id) => pagesOf(journal, id).length > 0).length;
    const storm = {
      alerts,
      accepted,
      retriedAfterRefusal: retried,
      knownToIncidents: known,
      lost: alerts - known,
      incidents: incidents.length,
      incidentWorkflows: incidentCount.count,
      pagedIncidents,
      pages: pageKeys.length,
      duplicatePages,
      seconds: Number(stormSeconds.toFixed(1)),
      kills,
    };
    console.log(`storm: ${JSON.stringify(storm)}`);
    goals.push(
      {
        goal: '0 lost alerts',
        met: storm.lost === 0 && accepted === alerts,
        detail: `${known} of ${alerts} known`,
      },
      {
        goal: `exactly ${groups} incidents`,
        met: incidents.length === groups && incidentCount.count === groups,
        detail: `${incidents.length} from the intake, ${incidentCount.count} in Temporal`,
      },
      {
        goal: '0 duplicate pages',
        met: duplicatePages === 0 && pagedIncidents === groups,
        detail: `${pageKeys.length} pages, ${duplicatePages} repeated, ${pagedIncidents} incidents paged`,
      },
    );

    // 2. The Temporal server killed during a P1 ladder.
    const ladder = await deliver(`${cluster.intakeUrl}/alerts`, {
      service: 'checkout',
      summary: 'chaos: server killed during the ladder',
      severity: 'P1',
      dedupKey: `chaos-ladder-${run}`,
    });
    const ladderId = ladder.workflowId!;
    let first: JournalLine | undefined;
    while (!(first = pagesOf(readJournal(journalFile), ladderId)[0])) await sleep(50);
    process.kill(-pidOf('temporal-server'), 'SIGKILL');
    log(`P1 ${ladderId} paged ${first.contact}; Temporal server SIGKILLed`);
    let second: JournalLine | undefined;
    const ladderDeadline = Date.now() + 120_000;
    while (
      !(second = pagesOf(readJournal(journalFile), ladderId).find((e) => e.contact !== first!.contact))
    ) {
      if (Date.now() > ladderDeadline) break;
      await sleep(100);
    }
    const stepMs = second ? Date.parse(second.at) - Date.parse(first.at) : NaN;
    const late = (stepMs - LADDER_STEP_S * 1000) / 1000;
    console.log(
      `ladder: ${JSON.stringify({ firstPage: first.at, nextPage: second?.at ?? null, stepSeconds: stepMs / 1000, expectedSeconds: LADDER_STEP_S, offBySeconds: Number(late.toFixed(2)) })}`,
    );
    goals.push({
      goal: 'next page on time (± 2 s) after the server was killed',
      met: Math.abs(late) <= 2,
      detail: second
        ? `${(stepMs / 1000).toFixed(2)} s after the first (step ${LADDER_STEP_S} s)`
        : 'never paged',
    });

    // 3. PostgreSQL down for 10 s.
    const outage = supervisor.outage('postgres', 10_000);
    const during: Promise<Delivery>[] = [];
    const outageStarted = Date.now();
    await sleep(500);
    for (let i = 0; Date.now() - outageStarted < 10_000; i++) {
      during.push(
        deliver(`${cluster.intakeUrl}/alerts`, {
          service: 'checkout',
          summary: `chaos: while PostgreSQL is down ${i}`,
          severity: 'P3',
          dedupKey: `chaos-pg-${run}-${i}`,
        }),
      );
      await sleep(500);
    }
    await outage;
    const results = await Promise.all(during);
    const refusedWith503 = results.filter((r) => r.refused.includes(503)).length;
    const withRetryAfter = results.filter((r) => r.refused.includes(503) && r.retryAfterSeen).length;
    const acceptedAfter = results.filter((r) => r.status === 202).length;
    let present = 0;
    for (const r of results)
      if (r.workflowId)
        present += await client.workflow
          .getHandle(r.workflowId)
          .describe()
          .then(() => 1)
          .catch(() => 0);
    const otherStatuses = results.flatMap((r) => r.refused).filter((s) => s !== 503);
    console.log(
      `postgres: ${JSON.stringify({ sent: results.length, refusedWith503, withRetryAfter, otherRefusals: otherStatuses, acceptedAfter, inTemporal: present })}`,
    );
    goals.push({
      goal: 'PostgreSQL down: 503 + Retry-After, nothing lost after',
      met:
        refusedWith503 > 0 &&
        withRetryAfter === refusedWith503 &&
        acceptedAfter === results.length &&
        present === results.length,
      detail: `${refusedWith503} of ${results.length} answered 503 (${withRetryAfter} with Retry-After), ${acceptedAfter} accepted after, ${present} in Temporal`,
    });
  } finally {
    await connection.close();
    await cluster.stop();
  }
  console.log('');
  for (const g of goals) console.log(`${g.met ? 'MET   ' : 'MISSED'} ${g.goal}: ${g.detail}`);
  process.exit(goals.every((g) => g.met) ? 0 : 1);
}

main().catch((err) => {
  console.error(`[chaos] ${err instanceof Error ? (err.stack ?? err.message) : err}`);
  process.exit(1);
});
