/** The carried state fits one Temporal payload, whatever text it was sent; the configuration cannot outgrow it. */
import { toIncidentPolicy } from '../../../../activities/policy';
import { ConfigError, parseConfig } from '../../../../config';
import raw from '../../../../config/durable-runbooks.json';
import { ingestAlerts } from '../../../../workflows/incident/alerts';
import { apply } from '../../../../workflows/incident/commands';
import { initialState, record } from '../../../../workflows/incident/state';
import { fitState, stateBytes, STATE_BYTE_BOUND } from '../../../../workflows/incident/state-bound';
import { testConfig } from '../../../../scripts/testbed/config';

const T0 = Date.parse('2026-12-05T00:00:00Z');

function crowded() {
  const state = initialState(
    { dedupKey: 'k', service: 'checkout', scenario: 'health', severity: 'P1', summary: 's', security: false },
    { incidentId: 'incident-1', workflowId: 'wf-1' },
    T0,
  );
  const config = testConfig({ history: { keepTimelineEntries: 1000, keepAlerts: 10 } });
  state.policy = toIncidentPolicy(config, 'checkout');
  record(state, T0, 'opened', 'incident opened', { announce: false });
  // Three-byte characters everywhere the state keeps text: within every clip, far over the byte bound.
  const wide = '界'.repeat(2000);
  for (let i = 0; i < 1000; i++) apply(state, 'addNote', { by: 'x', text: `${i} ${wide}` }, T0 + i);
  const alerts = Array.from({ length: 10 }, (_, i) => ({
    fingerprint: `fp-${i}`,
    status: 'firing' as const,
    summary: wide,
    labels: Object.fromEntries(Array.from({ length: 16 }, (_, j) => [`${wide.slice(0, 99)}${j}`, wide])),
    source: 'generic' as const,
  }));
  ingestAlerts(state, alerts, T0 + 2000);
  return state;
}

test('a state of many-byte text is trimmed under the bound, oldest first, and says what went', () => {
  const state = crowded();
  expect(stateBytes(state)).toBeGreaterThan(STATE_BYTE_BOUND);
  const trimmed = fitState(state);
  expect(stateBytes(state)).toBeLessThanOrEqual(STATE_BYTE_BOUND);
  expect(trimmed.join(', ')).toMatch(/unposted Slack lines/);
  // The opening entry stays, and the newest entries are still there.
  expect(state.timeline[0].type).toBe('opened');
  expect(state.timeline.at(-1)?.message).toMatch(/^alert new: .* \[fp-9\]$/);
  expect(state.timeline.some((e) => e.message.startsWith('999 '))).toBe(true);
  expect(Buffer.byteLength(JSON.stringify(state))).toBe(stateBytes(state));
});

test('a state that fits is left alone', () => {
  const state = crowded();
  fitState(state);
  const before = JSON.stringify(state);
  expect(fitState(state)).toEqual([]);
  expect(JSON.stringify(state)).toBe(before);
});

test('the configuration cannot keep more timeline and alerts than one payload carries', () => {
  const config = JSON.parse(JSON.stringify(raw));
  config.history = { keepTimelineEntries: 5000, keepAlerts: 200 };
  expect(() => parseConfig(config)).toThrow(ConfigError);
  try {
    parseConfig(config);
  } catch (err) {
    expect((err as ConfigError).key).toBe('history.keepTimelineEntries');
    expect((err as Error).message).toMatch(/2 MB/);
  }
  config.history = { keepTimelineEntries: 300, keepAlerts: 200 };
  expect(parseConfig(config).history.keepTimelineEntries).toBe(300);
});
