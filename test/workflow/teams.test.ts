/**
 * Three teams, each with its own escalation policy and schedule, on the time-skipping server: each service's
 * incident pages its team's people at its policy's delays, a team target pages that team's first responders,
 * a severity change moves to that severity's ladder, and a service of no team keeps the top-level ladder.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { incidentWorkflow } from '../../workflows/incident';
import { acknowledgeUpdate, setSeverityUpdate, snoozeUpdate, statusQuery } from '../../domain/messages';
import { formatElapsed } from '../../domain/policy';
import type { Severity } from '../../domain/types';
import { testConfig } from '../../scripts/testbed/config';
import { eventually } from '../../scripts/testbed/eventually';
import { describeWith } from '../../scripts/testbed/services';
import { useTimeSkippingWorker } from '../support/time-skipping-worker';
import { THREE_TEAMS } from '../support/team-config';

describeWith(
  ['testServer', 'postgres'],
  'teams and escalation policies on workflow time (time-skipping server)',
  () => {
    // Every severity pages from its first step, so that the pages are the whole story.
    const ts = useTimeSkippingWorker('teams', () =>
      testConfig({
        ...THREE_TEAMS,
        severityPolicy: { P2: { notify: 'page' }, P3: { notify: 'page', escalate: true } },
      }),
    );

    const open = (service: string, severity: Severity) =>
      ts.env.client.workflow.start(incidentWorkflow, {
        taskQueue: ts.taskQueue,
        workflowId: `teams-${service}-${severity}-${Date.now()}`,
        args: [
          { dedupKey: service, service, scenario: 'health', severity, summary: 'down', security: false },
        ],
      });

    /** The ladder's pages once `count` were sent: "m:ss level: people". */
    async function pages(handle: WorkflowHandle, count: number): Promise<string[]> {
      const view = await eventually(async () => {
        const v = await handle.query(statusQuery);
        expect(v.paged.filter((p) => p.level >= 0).length).toBeGreaterThanOrEqual(count);
        return v;
      });
      const createdAt = Date.parse(view.createdAt);
      return view.paged
        .filter((p) => p.level >= 0)
        .slice(0, count)
        .map(
          (p) => `${formatElapsed(Date.parse(p.at) - createdAt)} ${p.levelName}: ${p.contacts.join(', ')}`,
        );
    }

    test('the app team: its schedule, then its lead with the DB team after 5 minutes, then the tech lead after 10', async () => {
      const handle = await open('checkout', 'P2');
      await ts.env.sleep('16m');
      expect(await pages(handle, 3)).toEqual([
        '0:00 schedule app: Primary on-call',
        '5:00 app lead and the DB team: App lead, DB on-call',
        '15:00 Tech lead: Tech lead',
      ]);
      // afterLadder: stop — said once, and nobody more is paged.
      await ts.env.sleep('2h');
      const view = await handle.query(statusQuery);
      expect(view.paged.filter((p) => p.level >= 0)).toHaveLength(3);
      expect(view.ladderExhausted).toMatch(/ladder exhausted/);
      await handle.terminate('test finished');
    });

    test('a P1 of the app team follows its P1 ladder, and the security team repeats at the P1 response time', async () => {
      const handle = await open('checkout', 'P1');
      await ts.env.sleep('18m');
      expect(await pages(handle, 3)).toEqual([
        '0:00 schedule app + App lead: App lead, Primary on-call',
        '2:00 team security: Security lead',
        '17:00 team security: Security lead',
      ]);
      await handle.terminate('test finished');
    });

    test('raised to P1 after the first page: the P1 ladder goes on from its second rung, 2 minutes later', async () => {
      const handle = await open('checkout', 'P2');
      await ts.env.sleep('1m');
      await handle.executeUpdate(setSeverityUpdate, { args: [{ by: 'amy', severity: 'P1' }] });
      await ts.env.sleep('3m');
      const [first, second] = await pages(handle, 2);
      expect(first).toBe('0:00 schedule app: Primary on-call');
      expect(second).toMatch(/^3:0\d team security: Security lead$/);
      await handle.terminate('test finished');
    });

    test('snoozed after the acknowledgement: the acknowledger is alerted again when the snooze ends, not before', async () => {
      const handle = await open('checkout', 'P2');
      await ts.env.sleep('1m');
      await handle.executeUpdate(acknowledgeUpdate, { args: [{ by: 'amy' }] });
      const answer = await handle.executeUpdate(snoozeUpdate, { args: [{ by: 'amy', minutes: 30 }] });
      expect(answer.message).toMatch(/^snoozed until /);
      await ts.env.sleep('29m');
      let view = await handle.query(statusQuery);
      expect([view.status, view.paged.filter((p) => p.level >= 0).length]).toEqual(['acknowledged', 1]);
      await ts.env.sleep('2m');
      expect(await pages(handle, 2)).toEqual([
        '0:00 schedule app: Primary on-call',
        '31:00 schedule app: Primary on-call',
      ]);
      view = await handle.query(statusQuery);
      expect(view.status).toBe('triggered');
      expect(view.timeline.map((e) => e.message).join('\n')).toMatch(
        /snoozed for 30:00: amy is alerted again at /,
      );
      await handle.terminate('test finished');
    });

    test('the DB team and the security team page their own people; a service of no team keeps the top-level ladder', async () => {
      const db = await open('orders-db', 'P2');
      const security = await open('auth', 'P3');
      const other = await open('billing', 'P2');
      await ts.env.sleep('61m');
      expect(await pages(db, 2)).toEqual(['0:00 schedule db: DB on-call', '1:00:00 DB lead: DB lead']);
      expect(await pages(security, 1)).toEqual(['0:00 Security lead: Security lead']);
      expect(await pages(other, 2)).toEqual([
        '0:00 primary on-call: Primary on-call',
        '1:00:00 secondary on-call: Secondary on-call',
      ]);
      for (const h of [db, security, other]) await h.terminate('test finished');
    });
  },
);
