/**
 * Engine revision 8 on workflow time (time-skipping server): `merge` closes an incident into another. Its
 * alerts go there, and so does its alert group's next resend (the intake's signal-with-start still names the
 * merged incident's workflow id); once the other incident closes, the group opens a new incident.
 */
import { alertSignal, mergeUpdate, resolveUpdate, statusQuery } from '../../domain/messages';
import type { IncidentInput, SourceAlert } from '../../domain/types';
import { incidentWorkflow } from '../../workflows/incident';
import { testConfig } from '../../scripts/testbed/config';
import { eventually } from '../../scripts/testbed/eventually';
import { describeWith } from '../../scripts/testbed/services';
import { useTimeSkippingWorker } from '../support/time-skipping-worker';

describeWith(['testServer', 'postgres'], 'merge (engine revision 8, time-skipping server)', () => {
  const ts = useTimeSkippingWorker('merge', () =>
    testConfig({ engine: { revision: 8 }, services: { billing: {}, payments: {} } }),
  );
  const alert = (fingerprint: string, status: 'firing' | 'resolved' = 'firing'): SourceAlert => ({
    fingerprint,
    status,
    summary: `alert ${fingerprint}`,
    source: 'alertmanager',
    labels: { alertname: fingerprint },
    startsAt: new Date().toISOString(),
  });
  const input = (service: string, alerts: SourceAlert[]): IncidentInput => ({
    dedupKey: service,
    service,
    scenario: 'health',
    severity: 'P2',
    summary: `${service} down`,
    security: false,
    alerts,
  });
  /** What the intake does for every alert post: signal-with-start on the group's workflow id. */
  const post = (workflowId: string, service: string, alerts: SourceAlert[]) =>
    ts.env.client.workflow.signalWithStart(incidentWorkflow, {
      taskQueue: ts.taskQueue,
      workflowId,
      args: [input(service, [])],
      signal: alertSignal,
      signalArgs: [{ alerts }],
    });

  /** A workflow id as the intake makes them (`incident-` and 20 hex digits), unique to the test. */
  let made = 0;
  const groupId = () => `incident-${(Date.now() * 16 + made++).toString(16).padStart(20, '0').slice(-20)}`;

  test('merged: the alerts and the group feed the other incident until it closes; then the group opens anew', async () => {
    const from = await post(groupId(), 'billing', [alert('f1')]);
    const into = await post(groupId(), 'payments', [alert('i1')]);
    await ts.env.sleep('1m');
    const intoId = (await into.query(statusQuery)).incidentId;
    const fromId = (await from.query(statusQuery)).incidentId;
    const asked = await from.executeUpdate(mergeUpdate, { args: [{ by: 'amy', into: intoId }] });
    expect(asked.message).toBe(`merging into ${intoId}: its alerts and this alert group go there`);
    await ts.env.sleep('1m');
    const merged = await from.query(statusQuery);
    expect([merged.status, merged.resolutionSummary, merged.mergedInto]).toEqual([
      'resolved',
      `merged into ${intoId}`,
      intoId,
    ]);
    let target = await into.query(statusQuery);
    expect(target.mergedFrom).toEqual([fromId]);
    expect(target.alerts.map((a) => a.fingerprint)).toEqual(['i1', 'f1']);
    expect(target.timeline.map((e) => e.message)).toContain(
      `incident ${fromId} merged into this one: its alerts and alert group feed it`,
    );
    // Nothing more is paged for the merged incident, while the other one's ladder goes on.
    const pagesAtMerge = merged.paged.length;
    await ts.env.sleep('2h');
    expect((await from.query(statusQuery)).paged.length).toBe(pagesAtMerge);

    // The group's resend reaches the other incident, through the merged incident's run (no new run).
    const resent = await post(from.workflowId, 'billing', [alert('f2')]);
    expect(resent.signaledRunId).toBe(from.signaledRunId);
    target = await eventually(async () => {
      const v = await into.query(statusQuery);
      expect(v.alerts.map((a) => a.fingerprint)).toEqual(['i1', 'f1', 'f2']);
      return v;
    });
    expect(target.status).toBe('triggered');

    // The other incident closes: the merged one's run ends, and the group's next alert is a new incident.
    await into.executeUpdate(resolveUpdate, { args: [{ by: 'amy', summary: 'fixed' }] });
    await eventually(async () => expect((await from.describe()).status.name).toBe('COMPLETED'));
    const anew = await post(from.workflowId, 'billing', [alert('f3')]);
    const fresh = await eventually(async () => {
      const v = await anew.query(statusQuery);
      expect(v.alerts.map((a) => a.fingerprint)).toEqual(['f3']);
      return v;
    });
    expect(fresh.incidentId).not.toBe(fromId);
    expect(fresh.status).toBe('triggered');
  });

  test('refused: into itself or into an incident that is gone (said in the timeline, nothing closes)', async () => {
    const one = await post(groupId(), 'billing', [alert('o1')]);
    await ts.env.sleep('1m');
    const { incidentId } = await one.query(statusQuery);
    await expect(
      one.executeUpdate(mergeUpdate, { args: [{ by: 'amy', into: incidentId }] }),
    ).rejects.toMatchObject({ cause: { message: 'into: an incident cannot be merged into itself' } });
    await one.executeUpdate(mergeUpdate, {
      args: [{ by: 'amy', into: 'incident-00000000000000000000-00000000' }],
    });
    await ts.env.sleep('1m');
    const view = await one.query(statusQuery);
    expect(view.status).toBe('triggered');
    expect(view.timeline.at(-1)!.message).toMatch(
      /^cannot merge into incident-00000000000000000000-00000000: no open incident .* took it/,
    );
  });
});
