/**
 * Engine revision 7 on workflow time (time-skipping server): "page the DB team" pages the DB team's policy
 * beside the incident's own ladder, at its own pace, until someone from it acknowledges; a P3 waits for the
 * paged schedule's business hours.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { incidentWorkflow } from '../../workflows/incident';
import { acknowledgeUpdate, pageUpdate, statusQuery } from '../../domain/messages';
import { formatElapsed } from '../../domain/policy';
import { RESPONDER_LEVEL } from '../../domain/responders';
import { testConfig } from '../../scripts/testbed/config';
import { eventually } from '../../scripts/testbed/eventually';
import { describeWith } from '../../scripts/testbed/services';
import { useTimeSkippingWorker } from '../support/time-skipping-worker';
import { THREE_TEAMS } from '../support/team-config';

describeWith(['testServer', 'postgres'], 'engine revision 7 on workflow time (time-skipping server)', () => {
  // The app schedule works one day a week: the day after tomorrow (UTC), 09:00 to 17:00.
  const businessDay = new Date(Date.now() + 2 * 86_400_000);
  const weekday = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'][businessDay.getUTCDay()];
  const ts = useTimeSkippingWorker('responders', () =>
    testConfig({
      ...THREE_TEAMS,
      engine: { revision: 7 },
      severityPolicy: { P2: { notify: 'page' } },
      schedules: {
        ...THREE_TEAMS.schedules,
        app: { ...THREE_TEAMS.schedules.app, businessHours: { days: [weekday], from: '09:00', to: '17:00' } },
      },
    }),
  );

  const open = (severity: 'P2' | 'P3' = 'P2') =>
    ts.env.client.workflow.start(incidentWorkflow, {
      taskQueue: ts.taskQueue,
      workflowId: `responders-${Date.now()}`,
      args: [
        {
          dedupKey: 'checkout',
          service: 'checkout',
          scenario: 'health',
          severity,
          summary: 'down',
          security: false,
        },
      ],
    });

  /** Pages sent so far, as "m:ss level: people", responders' marked "+". */
  async function pages(handle: WorkflowHandle, count: number): Promise<string[]> {
    const view = await eventually(async () => {
      const v = await handle.query(statusQuery);
      expect(v.paged.length).toBeGreaterThanOrEqual(count);
      return v;
    });
    const createdAt = Date.parse(view.createdAt);
    return view.paged.map(
      (p) =>
        `${p.level === RESPONDER_LEVEL ? '+' : ''}${formatElapsed(Date.parse(p.at) - createdAt)} ${p.levelName}: ${p.contacts.join(', ')}`,
    );
  }

  test('the DB team is paged on its policy beside an acknowledged incident until its on-call acknowledges', async () => {
    const handle = await open();
    await ts.env.sleep('1m');
    await handle.executeUpdate(acknowledgeUpdate, { args: [{ by: 'primary-oncall' }] });
    const asked = await handle.executeUpdate(pageUpdate, { args: [{ by: 'primary-oncall', team: 'db' }] });
    expect(asked.message).toBe('paging team db until someone from it acknowledges');
    // db-policy: its schedule at once, its lead after P2's response time (an hour).
    await ts.env.sleep('61m');
    const sent = await pages(handle, 3);
    expect(sent[0]).toBe('0:00 schedule app: Primary on-call');
    expect(sent.slice(1)).toEqual([
      expect.stringMatching(/^\+1:0\d schedule db: DB on-call$/),
      expect.stringMatching(/^\+1:01:0\d DB lead: DB lead$/),
    ]);
    // The incident's acknowledger cannot answer for the DB team; the DB on-call can.
    const refused = await handle
      .executeUpdate(acknowledgeUpdate, { args: [{ by: 'primary-oncall' }] })
      .catch((err: Error) => (err.cause as Error).message);
    expect(refused).toBe('incident is already acknowledged by primary-oncall');
    const joined = await handle.executeUpdate(acknowledgeUpdate, {
      args: [{ by: 'DB on-call (slack:U777)' }],
    });
    expect(joined.message).toBe('DB on-call (slack:U777) joined as a responder');
    await ts.env.sleep('50m');
    const view = await handle.query(statusQuery);
    expect(view.paged).toHaveLength(3);
    expect(view.acknowledgedBy).toBe('primary-oncall');
    expect(view.responders).toEqual([
      expect.objectContaining({
        label: 'team db',
        requestedBy: 'primary-oncall',
        pages: 2,
        answeredBy: 'DB on-call (slack:U777)',
        nextPageAt: null,
      }),
    ]);
    expect(view.timeline.map((e) => e.message)).toContain(
      'joined as responder for team db: paging it stopped',
    );
    await handle.terminate('test finished');
  });

  test('a person added to a triggered incident is paged beside its ladder, and their acknowledgement owns it', async () => {
    const handle = await open();
    await ts.env.sleep('1m');
    await handle.executeUpdate(pageUpdate, { args: [{ by: 'amy', person: 'sec-lead' }] });
    await ts.env.sleep('5m');
    // The app ladder goes on at 5:00 whatever the added responder does.
    expect(await pages(handle, 3)).toEqual([
      '0:00 schedule app: Primary on-call',
      expect.stringMatching(/^\+1:0\d Security lead: Security lead$/),
      '5:00 app lead and the DB team: App lead, DB on-call',
    ]);
    const owned = await handle.executeUpdate(acknowledgeUpdate, { args: [{ by: 'sec-lead' }] });
    expect(owned.message).toBe('acknowledged by sec-lead');
    // Within P2's acknowledgement timeout (2 hours): nobody more is paged.
    await ts.env.sleep('90m');
    const view = await handle.query(statusQuery);
    expect([view.status, view.paged.length, view.responders?.[0].answeredBy]).toEqual([
      'acknowledged',
      3,
      'sec-lead',
    ]);
    await handle.terminate('test finished');
  });

  test('a P3 pages the app schedule when its business hours open, not before', async () => {
    const handle = await open('P3');
    await ts.env.sleep('3d');
    const view = await eventually(async () => {
      const v = await handle.query(statusQuery);
      expect(v.paged.length).toBeGreaterThanOrEqual(1);
      return v;
    });
    const opensAt = `${businessDay.toISOString().slice(0, 10)}T09:00:00.000Z`;
    // Paged as the hours open (the timer fires within milliseconds of 09:00).
    expect([view.paged[0].at.slice(0, 19), view.paged[0].levelName]).toEqual([
      opensAt.slice(0, 19),
      'schedule app',
    ]);
    expect(view.timeline.map((e) => e.message)).toContain(
      `P3 pages in business hours only (app: ${weekday} 09:00–17:00 UTC): schedule app is paged at ${opensAt}, the next business day's start`,
    );
    await handle.terminate('test finished');
  });
});
