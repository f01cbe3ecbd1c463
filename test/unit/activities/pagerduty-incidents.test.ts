/** Finding the PagerDuty incident a page opened, against the REST API's contract (a local server). */
import { pagerDutyIncidents } from '../../../activities/pagerduty-incidents';
import { FakePagerDuty } from '../../support/fake-saas';

const pd = new FakePagerDuty();
beforeAll(() => pd.start());
afterAll(() => pd.stop());

const lookup = (env: Record<string, string>) => ({
  restUrl: pd.url,
  apiTokenEnv: 'PAGERDUTY_API_TOKEN',
  env,
  timeoutMs: 2000,
});

async function trigger(dedupKey: string) {
  const res = await fetch(pd.eventsUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      routing_key: 'R0PRIMARY',
      event_action: 'trigger',
      dedup_key: dedupKey,
      payload: { summary: 'checkout down', source: 'test', severity: 'critical' },
    }),
  });
  expect(res.status).toBe(202);
}

test('without a token nothing is asked', async () => {
  const before = pd.requests.length;
  await expect(pagerDutyIncidents(lookup({}), ['incident-a/page-1'])).resolves.toBeNull();
  expect(pd.requests.length).toBe(before);
});

test("each key's incident and its web link, in the keys' order; a key PagerDuty does not know has none", async () => {
  await trigger('incident-b/page-1');
  await trigger('incident-b/page-2');
  const found = await pagerDutyIncidents(lookup({ PAGERDUTY_API_TOKEN: pd.restToken }), [
    'incident-b/page-2',
    'incident-unknown/page-1',
    'incident-b/page-1',
  ]);
  expect(found?.failures).toEqual([]);
  expect(found?.links.map((l) => [l.dedupKey, l.status])).toEqual([
    ['incident-b/page-2', 'triggered'],
    ['incident-b/page-1', 'triggered'],
  ]);
  for (const l of found!.links) expect(l.url.startsWith(FakePagerDuty.WEB)).toBe(true);
  const asked = pd.requests.filter((r) => r.path.startsWith('/incidents?')).at(-1)!;
  expect(asked.headers.accept).toBe('application/vnd.pagerduty+json;version=2');
});

test('a refused token is a failure that does not name the token', async () => {
  const wrong = 'wrong-token-value-123456';
  const found = await pagerDutyIncidents(lookup({ PAGERDUTY_API_TOKEN: wrong }), ['incident-b/page-1']);
  expect(found).toEqual({ links: [], failures: ['incident-b/page-1: PagerDuty answered HTTP 401'] });
  expect(JSON.stringify(found)).not.toContain(wrong);
});

test('an unreachable PagerDuty is a failure within the timeout', async () => {
  const started = Date.now();
  const found = await pagerDutyIncidents(
    { ...lookup({ PAGERDUTY_API_TOKEN: pd.restToken }), restUrl: 'http://127.0.0.1:9' },
    ['incident-b/page-1'],
  );
  expect(found?.links).toEqual([]);
  expect(found?.failures).toHaveLength(1);
  expect(Date.now() - started).toBeLessThan(5000);
});
