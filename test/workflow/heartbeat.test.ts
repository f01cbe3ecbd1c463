/**
 * Heartbeats on the time-skipping server: never heard from, a heartbeat opens an incident for its service
 * after interval + grace; the next beat resolves that incident's alert; beats on time open nothing; and a
 * long life of beats continues as new with its state.
 */
import { heartbeatWorkflow } from '../../workflows/heartbeat/heartbeat';
import {
  heartbeatQuery,
  heartbeatSignal,
  heartbeatWorkflowId,
  statusQuery,
  type HeartbeatSettings,
} from '../../domain/messages';
import { testConfig } from '../../scripts/testbed/config';
import { eventually } from '../../scripts/testbed/eventually';
import { describeWith } from '../../scripts/testbed/services';
import { useTimeSkippingWorker } from '../support/time-skipping-worker';

describeWith(['testServer', 'postgres'], 'heartbeats on workflow time (time-skipping server)', () => {
  const ts = useTimeSkippingWorker('heartbeat', () => testConfig());
  const settings = (name: string): HeartbeatSettings => ({
    name,
    intervalMs: 5 * 60_000,
    graceMs: 60_000,
    service: 'checkout',
    severity: 'P2',
  });
  const start = (name: string) =>
    ts.env.client.workflow.start(heartbeatWorkflow, {
      taskQueue: ts.taskQueue,
      workflowId: `${heartbeatWorkflowId(name)}-${Date.now()}`,
      args: [{ settings: settings(name) }],
    });

  test('beats on time open nothing; the timer counts from the last beat', async () => {
    const name = `hb-steady-${Date.now()}`;
    const heartbeat = await start(name);
    for (let i = 0; i < 6; i++) {
      await ts.env.sleep('4m');
      await heartbeat.signal(heartbeatSignal, { ...settings(name), at: Date.now() });
    }
    await ts.env.sleep('5m');
    const view = await heartbeat.query(heartbeatQuery);
    expect(view.incidentWorkflowId).toBeNull();
    // Missed only interval + grace after the last beat (the first test sees what a miss opens).
    expect(Date.parse(view.dueBy) - Date.parse(view.lastBeatAt!)).toBe(6 * 60_000);
    await heartbeat.terminate('test finished');
  });

  test('a long life of beats continues as new, keeping the last beat', async () => {
    const name = `hb-long-${Date.now()}`;
    const heartbeat = await start(name);
    for (let i = 0; i < 510; i++)
      await heartbeat.signal(heartbeatSignal, { ...settings(name), at: Date.now() });
    const described = await eventually(async () => {
      const d = await ts.env.client.workflow.getHandle(heartbeat.workflowId).describe();
      expect(d.runId).not.toBe(heartbeat.firstExecutionRunId);
      return d;
    });
    expect(described.historyLength).toBeLessThan(200);
    const view = await ts.env.client.workflow.getHandle(heartbeat.workflowId).query(heartbeatQuery);
    expect(view.lastBeatAt).not.toBeNull();
    expect(view.incidentWorkflowId).toBeNull();
    await ts.env.client.workflow.getHandle(heartbeat.workflowId).terminate('test finished');
  }, 120_000);

  // Last: the incident it opens closes and leaves its review reminder running (a child of a child, abandoned),
  // after which the Java test server no longer skips time for the tests that follow.
  test('never heard from: an incident after interval + grace; the next beat resolves its alert', async () => {
    const name = `hb-silent-${Date.now()}`;
    const heartbeat = await start(name);
    const startedAt = await ts.env.currentTimeMs();
    await ts.env.sleep('5m');
    expect((await heartbeat.query(heartbeatQuery)).incidentWorkflowId).toBeNull();
    await ts.env.sleep('90s');
    const { incidentWorkflowId } = await heartbeat.query(heartbeatQuery);
    expect(incidentWorkflowId).toBe(`incident-heartbeat-${name}`);
    const incident = ts.env.client.workflow.getHandle(incidentWorkflowId!);
    const opened = await eventually(async () => {
      const v = await incident.query(statusQuery);
      expect(v.paged.length).toBeGreaterThan(0);
      return v;
    });
    expect(opened).toMatchObject({ service: 'checkout', severity: 'P2', status: 'triggered' });
    const since = /^no heartbeat from (\S+) since (\S+)$/.exec(opened.summary);
    expect(since?.[1]).toBe(name);
    expect(Math.abs(Date.parse(since![2]) - startedAt)).toBeLessThan(1000);
    expect(Date.parse(opened.createdAt) - startedAt).toBeGreaterThanOrEqual(6 * 60_000);
    expect(opened.alerts).toEqual([
      expect.objectContaining({ status: 'firing', labels: { heartbeat: name, service: 'checkout' } }),
    ]);

    await heartbeat.signal(heartbeatSignal, { ...settings(name), at: Date.now() });
    const after = await eventually(async () => {
      const v = await incident.query(statusQuery);
      expect(v.alerts[0].status).toBe('resolved');
      return v;
    });
    expect(after.timeline.map((e) => e.message).join('\n')).toContain('every source alert resolved');
    expect((await heartbeat.query(heartbeatQuery)).incidentWorkflowId).toBeNull();
    await heartbeat.terminate('test finished');
    await incident.terminate('test finished').catch(() => undefined);
  });
});
