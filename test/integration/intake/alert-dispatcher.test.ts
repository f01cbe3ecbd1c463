/** The intake's AlertDispatcher on the real dev server, without HTTP: where each kind of post goes. */
import alertmanagerExample from '../../../examples/alerts/alertmanager.json';
import { alertSignal, statusQuery } from '../../../domain/messages';
import { AlertDispatcher } from '../../../intake/alert-dispatcher';
import { fromAlertmanager } from '../../../intake/alerts';
import { testConfig } from '../../../scripts/testbed/config';
import { eventually } from '../../../scripts/testbed/eventually';
import { describeWith } from '../../../scripts/testbed/services';
import { startDevWorker, type DevWorker } from '../../support/dev-server';

const config = testConfig();
const WINDOW_MS = 60_000;

/** An Alertmanager group of its own, firing or resolved, with the given fingerprints. */
function group(key: string, status: 'firing' | 'resolved', fingerprints: string[]) {
  const body = JSON.parse(JSON.stringify(alertmanagerExample));
  body.groupKey = `{}:{test="${key}"}`;
  body.status = status;
  body.alerts = fingerprints.map((fingerprint) => ({ ...body.alerts[0], status, fingerprint }));
  return fromAlertmanager(body, config);
}

describeWith(['temporal'], 'AlertDispatcher', () => {
  let dev: DevWorker;
  let clock = Date.parse('2026-12-05T00:00:00Z');
  let calls = 0;
  const dispatcher = () =>
    new AlertDispatcher({
      client: dev.client,
      withTemporal: (fn) => ((calls += 1), fn()),
      resendWindowMs: WINDOW_MS,
      taskQueue: dev.taskQueue,
      now: () => clock,
    });

  beforeAll(async () => {
    dev = await startDevWorker(config);
  });
  afterAll(async () => {
    await dev?.close();
  });

  test('opens, absorbs a resend without a call, tells only what is new, and passes the window on', async () => {
    const alerts = dispatcher();
    const key = `dispatch-${Date.now()}`;
    const first = await alerts.dispatch(group(key, 'firing', ['a1']));
    expect(first).toMatchObject({ outcome: 'started', incidents: [{ deduplicated: false }] });
    const { workflowId, runId } = first.incidents[0] as { workflowId: string; runId: string };

    const before = calls;
    const resend = await alerts.dispatch(group(key, 'firing', ['a1']));
    expect(resend).toEqual({
      outcome: 'resend_absorbed',
      incidents: [{ workflowId, runId, deduplicated: true, resend: true }],
    });
    expect(calls).toBe(before);

    const grown = await alerts.dispatch(group(key, 'firing', ['a1', 'a2']));
    expect(grown).toMatchObject({ outcome: 'deduplicated', incidents: [{ workflowId, runId }] });
    clock += WINDOW_MS;
    expect((await alerts.dispatch(group(key, 'firing', ['a1', 'a2']))).outcome).toBe('deduplicated');

    const handle = dev.client.workflow.getHandle(workflowId);
    await eventually(async () => expect((await handle.query(statusQuery)).alertCounts?.firing).toBe(2));
  });

  test('a resolved group signals its open incident, and is nothing to do where none is open', async () => {
    const alerts = dispatcher();
    const key = `dispatch-resolved-${Date.now()}`;
    expect(await alerts.dispatch(group(key, 'resolved', ['r1']))).toEqual({
      outcome: 'resolved_without_incident',
      incidents: [],
      note: 'resolved alert for no open incident: nothing to do',
    });
    const opened = await alerts.dispatch(group(key, 'firing', ['r1']));
    const { workflowId } = opened.incidents[0] as { workflowId: string };
    const resolved = await alerts.dispatch(group(key, 'resolved', ['r1']));
    expect(resolved).toEqual({
      outcome: 'resolved_signalled',
      incidents: [{ workflowId, runId: null, deduplicated: true, resolvedSignalled: true }],
    });
    const history = await dev.client.workflow.getHandle(workflowId).fetchHistory();
    const signals = (history.events ?? []).filter(
      (e) => e.workflowExecutionSignaledEventAttributes?.signalName === alertSignal.name,
    );
    expect(signals.length).toBeGreaterThanOrEqual(1);
  });

  test('Temporal not answering is thrown to the route, and nothing is remembered as told', async () => {
    const key = `dispatch-down-${Date.now()}`;
    const down = new AlertDispatcher({
      client: dev.client,
      withTemporal: () => Promise.reject(new Error('deadline exceeded')),
      resendWindowMs: WINDOW_MS,
      now: () => clock,
    });
    await expect(down.dispatch(group(key, 'firing', ['d1']))).rejects.toThrow('deadline exceeded');
    await expect(down.dispatch(group(key, 'firing', ['d1']))).rejects.toThrow('deadline exceeded');
  });
});
