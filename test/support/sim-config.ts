import type { WorkflowHandle } from '@temporalio/client';
import { alertSignal, runbookReportSignal } from '../../domain/messages';
import { testConfig } from '../../scripts/testbed/config';
import type { OracleConfig } from './sim-oracle';

const LADDER = ['primary-oncall', 'secondary-oncall', 'tech-lead', 'devops-manager'];

/**
 * The configuration a simulation variant stands for: P1 and P2 page at once and every `respondWithin`, a
 * ladder of the first `ladderLength` on-call levels, nothing else (no management, no acknowledgement expiry);
 * new incidents on `engineRevision` when given.
 */
export function simulationConfig(v: OracleConfig, engineRevision?: number) {
  const seconds = (ms: number) => `${ms / 1000}s`;
  return testConfig({
    severityPolicy: {
      P1: {
        respondWithin: seconds(v.respondWithinMs.P1),
        notify: 'page',
        notifyManagement: false,
        ackTimeout: '24h',
      },
      P2: { respondWithin: seconds(v.respondWithinMs.P2), notify: 'page', ackTimeout: '24h' },
    },
    escalation: {
      ladder: LADDER.slice(0, v.ladderLength).map((c) => ({ name: c, contacts: [c] })),
      repeat: v.repeat,
      afterLadder: v.afterLadder,
    },
    ...(engineRevision === undefined ? {} : { engine: { revision: engineRevision } }),
  });
}

/** What a careless or hostile sender posts: junk on the alert and runbook-report signals (recorded, ignored). */
export async function signalGarbage(handle: WorkflowHandle): Promise<void> {
  await handle.signal(alertSignal, { alerts: [null, 7, { status: 'firing' }] } as never);
  await handle.signal(runbookReportSignal, null as never);
}

/** The incident's alert sent again, as Alertmanager repeats a group: folded in, never a second page round. */
export async function resendAlert(handle: WorkflowHandle): Promise<void> {
  const alert = { fingerprint: 'f', status: 'firing', summary: 'again', labels: { alertname: 'Sim' } };
  await handle.signal(alertSignal, { alerts: [{ ...alert, source: 'generic' }] } as never);
}
