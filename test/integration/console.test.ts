/**
 * The responders' console in Chromium, on real incidents: the intake opens them on the dev server, the
 * worker records them in a PostgreSQL store, and the API's listener serves the console over that store.
 * A person logs in with their token (an HttpOnly, SameSite=Strict session), sees a new alert's incident
 * appear without a reload, acknowledges it by clicking (the Temporal history holds the Update, from that
 * person), sees a refusal's reason, cannot change anything without the CSRF token, and hostile text stays
 * text. Screenshots go to test-results/, and to docs/screenshots/ with UPDATE_SCREENSHOTS=1.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { buildApiServer } from '../../intake/api/server';
import { REMINDER_BY, remindDue } from '../../intake/api/status-reminders';
import { runbookReportSignal } from '../../domain/messages';
import { appendTimeline, createToken, recordPages, upsertIncident, type SqlClient } from '../../store';
import { parseConfig } from '../../config';
import { rawTestConfig } from '../../scripts/testbed/config';
import { tempDir } from '../../scripts/testbed/temporal';
import { runCli } from '../support/cli-process';
import { describeWith, serviceValue } from '../../scripts/testbed/services';
import { startDevWorker, type DevWorker } from '../support/dev-server';
import { HOSTILE } from '../support/hostile-text';
import { FakePagerDuty, FakeSlack } from '../support/fake-saas';
import { startIntake, type RunningIntake } from '../support/intake';
import { eventually } from '../../scripts/testbed/eventually';

const ROOT = path.resolve(__dirname, '..', '..');
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-sync'];
const INTAKE_TOKEN = 'console-test-intake-token-0123456789';
const SLACK_TOKEN = 'xoxb-console-test-0000';
// A schedule of its own, in a zone other than the viewer's, so a rerun on the same dev server has no overrides.
const ROTA = `console-rota-${Date.now().toString(36)}`;
const raw = rawTestConfig({
  services: { checkout: { approvers: ['tech-lead'], customerFacing: true, team: 'shop' } },
  teams: { shop: { name: 'Shop team', escalationPolicy: 'default' } },
  schedules: {
    [ROTA]: {
      timeZone: 'Asia/Tokyo',
      layers: [
        {
          name: 'daily',
          participants: ['primary-oncall', 'secondary-oncall'],
          start: '2026-01-01T09:00',
          rotation: 'daily',
        },
      ],
    },
  },
});
const config = parseConfig(raw, 'console test config');

async function shot(page: Page, name: string) {
  const dirs = [path.join(ROOT, 'test-results')];
  if (process.env.UPDATE_SCREENSHOTS === '1') dirs.push(path.join(ROOT, 'docs', 'screenshots'));
  for (const dir of dirs) {
    mkdirSync(dir, { recursive: true });
    await page.screenshot({ path: path.join(dir, name), fullPage: true });
  }
}

describeWith(['temporal', 'postgres', 'chromium'], 'the console, in Chromium', () => {
  let dev: DevWorker;
  let db: SqlClient;
  let intake: RunningIntake;
  let api: FastifyInstance;
  let base: string;
  let browser: Browser;
  let context: BrowserContext;
  let token: string;
  let leadToken: string;
  const slack = new FakeSlack(SLACK_TOKEN);
  const pd = new FakePagerDuty();

  beforeAll(async () => {
    // The worker posts to Slack and PagerDuty contract servers: the incident page links to the announcement
    // Slack gives and to the incident each page opened in PagerDuty (found with the REST API's token).
    await Promise.all([slack.start(), pd.start()]);
    const withSaaS = parseConfig(
      {
        ...(raw as object),
        slack: { ...(raw as { slack: object }).slack, apiUrl: slack.apiUrl },
        pagerduty: { eventsUrl: pd.eventsUrl, restUrl: pd.url },
      },
      'console test config',
    );
    dev = await startDevWorker(withSaaS, {
      SLACK_BOT_TOKEN: SLACK_TOKEN,
      PD_ROUTING_KEY_PRIMARY: 'R0PRIMARYROUTINGKEY0000000000001',
    });
    db = dev.store!;
    intake = await startIntake({ client: dev.client, config, taskQueue: dev.taskQueue, token: INTAKE_TOKEN });
    api = await buildApiServer({
      db,
      config: withSaaS,
      version: 'test',
      temporal: { client: dev.client, timeoutMs: 10_000, taskQueue: dev.taskQueue },
      env: { PAGERDUTY_API_TOKEN: pd.restToken },
    });
    base = await api.listen({ host: '127.0.0.1', port: 0 });
    token = (await createToken(db, 'primary-oncall', 'console test')).token;
    leadToken = (await createToken(db, 'tech-lead', 'console test')).token;
    browser = await chromium.launch({ executablePath: serviceValue('chromium'), args: CHROMIUM_FLAGS });
    context = await loggedIn(token);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await api?.close();
    await intake?.close();
    await dev?.close();
    await Promise.all([slack.stop(), pd.stop()]);
  });

  const apiCall = async (method: string, p: string, body?: unknown) => {
    const res = await fetch(`${base}/api/v1${p}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  test('login: a wrong token is refused on the form; the right one starts an HttpOnly, SameSite=Strict session', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${base}/`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.fill('#token', 'drt_not-a-token');
    await page.click('button[type=submit]');
    await expect(page.locator('.refused').textContent()).resolves.toContain('not a live API token');
    await page.fill('#token', token);
    await page.click('button[type=submit]');
    await page.waitForURL(`${base}/`);
    await page.locator('#live', { hasText: 'Live' }).waitFor();
    const session = (await context.cookies()).find((c) => c.name === 'dr_session');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict', value: token });
    // The page's script cannot read it.
    expect(await page.evaluate('document.cookie')).not.toContain('dr_session');
    await expect(page.locator('.who').textContent()).resolves.toBe('Primary on-call');
    // Log out: the session cookie goes, and the console asks for a login again.
    await page.click('#logout');
    await page.waitForURL(`${base}/login`);
    expect((await context.cookies()).find((c) => c.name === 'dr_session')).toBeUndefined();
    await page.goto(`${base}/`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await context.close();
  }, 60_000);

  test('a new alert shows in the open list within 2 s, without a reload; an unacknowledged P1 is a banner', async () => {
    const page = await context.newPage();
    await page.goto(`${base}/`);
    await page.locator('#live', { hasText: 'Live' }).waitFor();
    const navigations: string[] = [];
    page.on('framenavigated', (f) => navigations.push(f.url()));
    const summary = `console live ${Date.now()}`;
    const posted = await intake.post(
      '/alerts',
      { service: 'checkout', severity: 'P1', summary, dedupKey: `console-${Date.now()}` },
      { authorization: `Bearer ${INTAKE_TOKEN}` },
    );
    expect(posted.status).toBe(202);
    const row = page.locator('#incidents tbody tr', { hasText: summary });
    await row.waitFor({ timeout: 2000 });
    expect(navigations).toEqual([]);
    await expect(row.getAttribute('class')).resolves.toContain('alarm');
    await page.locator('#p1-banner').waitFor({ state: 'visible' });
    await expect(page.locator('#p1-banner').textContent()).resolves.toMatch(
      /triggered P1 .*nobody has acknowledged/,
    );
    await expect(page.title()).resolves.toMatch(/^\(\d+ P1\) Incidents/);
    // Who was paged shows once the first page is recorded.
    await page
      .locator('#incidents tbody tr', { hasText: summary })
      .locator('td', { hasText: 'Primary on-call' })
      .waitFor({ timeout: 15_000 });
    await shot(page, 'console-incidents.png');
    await page.close();
  }, 60_000);

  test("the team filter: only the team's incidents, the team in each row, and the filter kept in the URL", async () => {
    const stamp = Date.now();
    for (const service of ['checkout', 'billing'])
      await intake.post(
        '/alerts',
        {
          service,
          severity: 'P3',
          summary: `console team ${service} ${stamp}`,
          dedupKey: `team-${service}-${stamp}`,
        },
        { authorization: `Bearer ${INTAKE_TOKEN}` },
      );
    const page = await context.newPage();
    await page.goto(`${base}/`);
    const rowOf = (service: string) =>
      page.locator('#incidents tbody tr', { hasText: `console team ${service} ${stamp}` });
    await rowOf('billing').waitFor({ timeout: 10_000 });
    await rowOf('checkout').locator('td', { hasText: 'shop' }).waitFor({ timeout: 10_000 });
    await page.selectOption('#filters select[name=team]', 'shop');
    await rowOf('billing').waitFor({ state: 'detached' });
    expect(new URL(page.url()).searchParams.get('team')).toBe('shop');
    await expect(rowOf('checkout').count()).resolves.toBe(1);
    const teams = await page.locator('#incidents tbody tr td:nth-child(4)').allTextContents();
    expect(new Set(teams)).toEqual(new Set(['shop']));
    // The option shows the team's name; a reload keeps the filter.
    await expect(page.locator('#filters select[name=team] option[value=shop]').textContent()).resolves.toBe(
      'Shop team',
    );
    await page.reload();
    await rowOf('checkout').waitFor();
    await expect(rowOf('billing').count()).resolves.toBe(0);
    await page.close();
  }, 60_000);

  test('acknowledge by clicking: the record says so, and the history holds the Update from that person; a refused click shows why', async () => {
    const summary = `console ack ${Date.now()}`;
    await intake.post(
      '/alerts',
      { service: 'checkout', severity: 'P2', summary, dedupKey: `console-ack-${Date.now()}` },
      { authorization: `Bearer ${INTAKE_TOKEN}` },
    );
    const page = await context.newPage();
    await page.goto(`${base}/`);
    const link = page.locator('#incidents tbody a', { hasText: summary });
    await link.waitFor({ timeout: 10_000 });
    await link.click();
    await page.locator('#header dd', { hasText: 'triggered' }).waitFor();
    await page.locator('#alerts li', { hasText: summary }).first().waitFor();
    // Links to where else the incident lives: its workflow, and its Slack announcement (chat.getPermalink).
    const slackLink = page.locator('#links a', { hasText: 'Slack' });
    await slackLink.waitFor({ timeout: 15_000 });
    expect(await slackLink.getAttribute('href')).toMatch(
      new RegExp(`^${slack.url}/archives/C0INCIDENTS/p\\d+$`),
    );
    await page.click('button[data-action=acknowledge]');
    await expect(page.locator('#answer.accepted').textContent({ timeout: 10_000 })).resolves.toMatch(
      /acknowledged/i,
    );
    const id = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
    const record = await apiCall('GET', `/incidents/${id}`);
    expect(record.body).toMatchObject({
      status: 'acknowledged',
      acknowledgedBy: 'Primary on-call (api:primary-oncall)',
    });
    // Live: the header follows without a reload.
    await page
      .locator('#header dd', { hasText: 'Primary on-call (api:primary-oncall) at' })
      .first()
      .waitFor();

    expect(await updatesIn(String(record.body.workflowId), 'acknowledge')).toEqual([
      expect.stringContaining('"by":"Primary on-call (api:primary-oncall)"'),
    ]);

    // Add a responder and snooze, by clicking: each answered on the page, the responder listed live.
    await page.selectOption('#responder-kind', 'person');
    await page.fill('#responder-name', 'tech-lead');
    await page.click('button[data-action=page]');
    await expect(page.locator('#answer.accepted').textContent({ timeout: 10_000 })).resolves.toBe(
      'paging tech-lead until someone from it acknowledges',
    );
    await page
      .locator('#responders li', {
        hasText: 'Tech lead (asked by Primary on-call (api:primary-oncall)): 1 page(s)',
      })
      .waitFor({ timeout: 15_000 });
    await page.fill('#snooze', '45');
    await page.click('button[data-action=snooze]');
    await expect(page.locator('#answer.accepted').textContent({ timeout: 10_000 })).resolves.toMatch(
      /^snoozed until /,
    );
    // A role, named by clicking: the header shows it once the record has it.
    await page.selectOption('#role', 'scribe');
    await page.fill('#role-person', 'me');
    await page.click('button[data-action=role]');
    await expect(page.locator('#answer.accepted').textContent({ timeout: 10_000 })).resolves.toBe(
      'Primary on-call (api:primary-oncall) is now the scribe',
    );
    await page.locator('#header dt', { hasText: 'Scribe' }).waitFor({ timeout: 15_000 });
    // Merge (revision 8): an incident that is not there is refused, named by its field.
    await page.fill('#merge-into', 'incident-00000000000000000000');
    await page.click('button[data-action=merge]');
    await expect(page.locator('#answer.refused').textContent({ timeout: 10_000 })).resolves.toBe(
      'Not done: into: no incident incident-00000000000000000000 to merge into',
    );
    await shot(page, 'console-incident.png');

    // Resolved elsewhere (the API), then a click here: refused, with the reason on the page.
    expect((await apiCall('POST', `/incidents/${id}/resolve`, { summary: 'fixed' })).status).toBe(200);
    await page.click('button[data-action=acknowledge]');
    await expect(page.locator('#answer.refused').textContent({ timeout: 10_000 })).resolves.toMatch(
      /^Not done: .*(resolved|closed)/,
    );
    await page.close();
  }, 90_000);

  test('a change without the CSRF token is refused, even with the session cookie', async () => {
    const page = await context.newPage();
    await page.goto(`${base}/`);
    // In the page, as its own script would call (document is the browser's, not this test's).
    const attempt = (withToken: boolean) =>
      page.evaluate(`(async () => {
        const csrf = document.querySelector('meta[name="csrf-token"]').getAttribute('content');
        const res = await fetch('/api/v1/incidents', {
          method: 'POST',
          headers: { 'content-type': 'application/json', ${withToken ? "'x-csrf-token': csrf" : ''} },
          body: JSON.stringify({ service: 'checkout', severity: 'P3', summary: 'csrf check' }),
        });
        return { status: res.status, body: await res.json() };
      })()`) as Promise<{ status: number; body: unknown }>;
    expect(await attempt(false)).toEqual({
      status: 403,
      body: { error: expect.stringMatching(/^x-csrf-token/) },
    });
    expect((await attempt(true)).status).toBe(201);
    await page.close();
  }, 30_000);

  test('hostile text from alerts and people renders as text in the list, the incident page and the reports; keyboard reachable', async () => {
    const now = Date.now();
    // PostgreSQL text holds no NUL; the intake's plainText drops it before anything is recorded.
    const texts = HOSTILE.map((h) => h.replace(/\0/g, ''));
    for (const [k, text] of texts.entries()) {
      const at = new Date(now + k).toISOString();
      await upsertIncident(db, {
        id: `hostile-${now}-${k}`,
        workflowId: `hostile-wf-${now}-${k}`,
        service: 'hostile',
        severity: 'P3',
        scenario: 'health',
        summary: text,
        status: 'resolved',
        createdAt: at,
        acknowledgedAt: null,
        acknowledgedBy: null,
        resolvedAt: at,
        resolvedBy: text,
        updatedAt: at,
      });
    }
    const first = `hostile-${now}-0`;
    await appendTimeline(
      db,
      first,
      0,
      texts.map((message, k) => ({
        at: new Date(now + k).toISOString(),
        type: 'note',
        message,
        actor: message,
      })),
    );
    const page = await context.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.goto(`${base}/?service=hostile`);
    await page
      .locator('#incidents tbody tr')
      .nth(texts.length - 1)
      .waitFor();
    const shown = await page.$$eval('#incidents tbody a', (as) => as.map((a) => a.textContent));
    expect([...shown].reverse()).toEqual(texts);
    const made = (root: string) =>
      page.$$eval(
        `${root} img, ${root} script, ${root} details, ${root} a[href*="evil"]`,
        (els) => els.length,
      );
    expect(await made('#incidents')).toBe(0);

    await page.goto(`${base}/incidents/${first}`);
    await page
      .locator('#timeline li')
      .nth(texts.length - 1)
      .waitFor();
    const messages = await page.$$eval('#timeline .message', (els) => els.map((e) => e.textContent));
    expect(messages).toEqual(texts);
    expect(await made('main')).toBe(0);
    // The keyboard reaches everything: the first Tab is the skip link, and Acknowledge is a few Tabs on.
    await page.keyboard.press('Tab');
    await expect(page.evaluate('document.activeElement.textContent')).resolves.toBe('Skip to content');
    let reached = false;
    for (let i = 0; i < 15 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = (await page.evaluate('document.activeElement.dataset.action')) === 'acknowledge';
    }
    expect(reached).toBe(true);

    // The reports name people as the pages did: hostile names stay text there too.
    await recordPages(
      db,
      first,
      texts.slice(0, 10).map((name, seq) => ({
        at: new Date(now).toISOString(),
        level: 0,
        levelName: 'on call',
        contactIds: [`c-${seq}`],
        contacts: [name],
        channel: 'page' as const,
        reason: 'hostile',
        delivered: true,
        seq,
      })),
    );
    await page.goto(`${base}/reports?service=hostile`);
    // A locator wait: a string given to waitForFunction is evaluated in the page, which its CSP refuses.
    await page.locator('#load tbody tr').nth(9).waitFor({ timeout: 10_000 });
    const people = (await cellsOf(page, '#load')).map((row) => row[0]);
    for (const name of texts.slice(0, 10)) expect(people).toContain(name);
    expect(await made('main')).toBe(0);
    expect(dialogs).toEqual([]);
    await page.goto(`${base}/incidents/${first}`);
    await page
      .locator('#timeline li')
      .nth(texts.length - 1)
      .waitFor();
    // Readable at a phone's width too: nothing overflows the screen sideways.
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    await page.close();
  }, 60_000);

  /** The arguments of the accepted Updates of that name in the workflow's history, as JSON. */
  async function updatesIn(workflowId: string, name: string): Promise<string[]> {
    const history = await dev.client.workflow.getHandle(workflowId).fetchHistory();
    return (history.events ?? [])
      .map((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input)
      .filter((input) => input?.name === name)
      .map((input) => Buffer.from(input!.args!.payloads![0].data!).toString('utf8'));
  }

  /** The text of each cell of a table's body, row by row (read in the page: the DOM is the browser's). */
  const cellsOf = (page: Page, table: string) =>
    page.evaluate(
      `Array.from(document.querySelectorAll(${JSON.stringify(`${table} tbody tr`)})).map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent))`,
    ) as Promise<string[][]>;

  /** A browser context logged in as the token's person, through the login form. */
  async function loggedIn(personToken: string, timezoneId?: string): Promise<BrowserContext> {
    const ctx = await browser.newContext({
      viewport: { width: 1280, height: 800 },
      ...(timezoneId ? { timezoneId } : {}),
    });
    const page = await ctx.newPage();
    await page.goto(`${base}/login`);
    await page.fill('#token', personToken);
    await page.click('button[type=submit]');
    await page.waitForURL(`${base}/`);
    await page.close();
    return ctx;
  }

  test('a whole incident from the console: acknowledge, approve as the named approver, publish, resolve, review and action items', async () => {
    // From Alertmanager, as it posts: the page links the alert's rule and a silence for its labels.
    const summary = `console whole ${Date.now()}`;
    const labels = { alertname: 'CheckoutErrors', service: 'checkout', severity: 'critical' };
    const posted = await intake.post(
      '/alerts/alertmanager',
      {
        version: '4',
        groupKey: `{}:{alertname="CheckoutErrors",run="${summary}"}`,
        status: 'firing',
        receiver: 'durable-runbooks',
        groupLabels: { alertname: 'CheckoutErrors' },
        commonLabels: labels,
        commonAnnotations: { summary },
        externalURL: 'http://alertmanager.example:9093',
        alerts: [
          {
            status: 'firing',
            labels,
            annotations: { summary },
            startsAt: new Date().toISOString(),
            generatorURL: 'http://prometheus.example:9090/graph?g0.expr=checkout_errors',
            fingerprint: Date.now().toString(16),
          },
        ],
      },
      { authorization: `Bearer ${INTAKE_TOKEN}` },
    );
    expect(posted.status).toBe(202);
    const page = await context.newPage();
    await page.goto(`${base}/`);
    await page.locator('#incidents tbody a', { hasText: summary }).click({ timeout: 10_000 });
    const id = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
    const workflowId = String((await apiCall('GET', `/incidents/${id}`)).body.workflowId);
    const silence = page.locator('#alerts a', { hasText: 'Silence it' });
    await silence.waitFor({ timeout: 10_000 });
    await expect(silence.getAttribute('href')).resolves.toBe(
      `http://alertmanager.example:9093/#/silences/new?filter=${encodeURIComponent('{alertname="CheckoutErrors", service="checkout", severity="critical"}')}`,
    );
    await expect(
      page.locator('#alerts a', { hasText: 'Source (alertmanager)' }).getAttribute('href'),
    ).resolves.toBe('http://prometheus.example:9090/graph?g0.expr=checkout_errors');
    // The P1 paged the primary on-call through PagerDuty: the page links the incident PagerDuty opened.
    const pdLink = page.locator('#links a', { hasText: /^PagerDuty: the page to .*Primary on-call/ });
    await pdLink.first().waitFor({ timeout: 15_000 });
    await expect(pdLink.first().getAttribute('href')).resolves.toMatch(
      new RegExp(`^${FakePagerDuty.WEB.replace(/[.]/g, '\\.')}PINC\\d{4}$`),
    );
    expect(
      pd.requests.filter((r) => r.path.startsWith('/incidents?')).map((r) => r.headers.authorization),
    ).toContain(`Token token=${pd.restToken}`);
    await page.click('button[data-action=acknowledge]');
    await page.locator('#answer.accepted').waitFor({ timeout: 10_000 });

    // The runbook proposes a step (as its child workflow reports it); the page lists it with its buttons.
    await dev.client.workflow
      .getHandle(workflowId)
      .signal(runbookReportSignal, { kind: 'proposal', step: 'rollback', message: 'roll back to v1' });
    await page.locator('#approvals button', { hasText: 'Approve rollback' }).click({ timeout: 10_000 });
    await expect(page.locator('#answer.refused').textContent({ timeout: 10_000 })).resolves.toMatch(
      /^Not done: .*approvers are Tech lead/,
    );
    const lead = await loggedIn(leadToken);
    const leadPage = await lead.newPage();
    await leadPage.goto(`${base}/incidents/${encodeURIComponent(id)}`);
    await leadPage.locator('#approvals button', { hasText: 'Approve rollback' }).click({ timeout: 10_000 });
    await expect(leadPage.locator('#answer.accepted').textContent({ timeout: 10_000 })).resolves.toBe(
      'approval of "rollback" passed to the runbook',
    );
    // The Update in the history is the tech lead's (the primary's click was refused by its validator).
    expect(await updatesIn(workflowId, 'approve')).toEqual([
      expect.stringContaining('"by":"Tech lead (api:tech-lead)"'),
    ]);
    await lead.close();

    // The public update, in the seed's template: on the status page as written.
    await page.selectOption('#public-update select[name=status]', 'identified');
    await page.fill('#public-update input[name=title]', 'Checkout errors');
    await page.fill(
      '#public-update textarea[name=message]',
      'We are currently experiencing failed payments.',
    );
    await page.fill('#public-update input[name=impact]', 'Some payments fail.');
    await page.fill('#public-update input[name=eta]', '30 minutes');
    await page.click('#public-update button[type=submit]');
    await expect(page.locator('#public-answer.accepted').textContent({ timeout: 10_000 })).resolves.toMatch(
      /^Published at .*; next update due/,
    );
    const publicView = (await (await fetch(`${base}/status.json`)).json()) as {
      active: Array<{ incidentId: string; updates: Array<{ message: string; impact: string | null }> }>;
    };
    expect(publicView.active.find((i) => i.incidentId === id)?.updates[0]).toMatchObject({
      message: 'We are currently experiencing failed payments.',
      impact: 'Some payments fail.',
    });

    await page.fill('#summary', 'rolled back to v1');
    await page.click('button[data-action=resolve]');
    await expect(page.locator('#answer.accepted').textContent({ timeout: 10_000 })).resolves.toMatch(
      /^resolve requested|resolved/,
    );

    // The review appears once written at close; its answers and the action items are kept and exported.
    await page.locator('#review').waitFor({ state: 'visible', timeout: 30_000 });
    await expect(page.locator('#review-state').textContent()).resolves.toMatch(/^Written /);
    // The workflow's own answer to "what happened" is there to be corrected.
    await expect(page.locator('#review textarea[name=whatHappened]').inputValue()).resolves.toBe(summary);
    await page.fill('#review textarea[name=why]', 'v2 shipped a <b>broken</b> payment client');
    await page.click('#review button[type=submit]');
    await page.locator('#review-answer:not(:empty)').waitFor();
    await expect(page.locator('#review-answer').textContent()).resolves.toBe('Saved.');
    // The review meeting proposed at close (revision 8), confirmed by a click.
    await page.locator('#meeting').waitFor({ state: 'visible', timeout: 15_000 });
    await expect(page.locator('#meeting-state').textContent()).resolves.toMatch(
      /^Proposed for .+, 60 minutes\. Invited: .*Primary on-call \(api:primary-oncall\).*\. Not confirmed yet/,
    );
    await page.click('#meeting-confirm');
    await expect(page.locator('#meeting-answer.accepted').textContent({ timeout: 10_000 })).resolves.toBe(
      `${id}: review confirmed; no more reminders`,
    );
    await page
      .locator('#meeting-state', { hasText: 'Confirmed by Primary on-call (api:primary-oncall).' })
      .waitFor({ timeout: 10_000 });
    await expect(page.locator('#meeting-actions').isHidden()).resolves.toBe(true);
    // Hidden until the review exists: before the resolve there was nothing to fill.
    await page.fill('#new-action input[name=title]', 'Canary payments before rollout');
    await page.fill('#new-action input[name=owner]', 'tech-lead');
    await page.fill('#new-action input[name=dueDate]', '2026-12-31');
    await page.fill('#new-action input[name=link]', 'https://tracker.example/PAY-1');
    await page.click('#new-action button[type=submit]');
    const row = page.locator('#action-items tbody tr', { hasText: 'Canary payments before rollout' });
    await row.waitFor();
    await row.locator('select').selectOption('in-progress');
    await page.locator('#action-answer.accepted', { hasText: 'is in-progress' }).waitFor();
    await shot(page, 'console-review.png');
    const exported = String(
      await page.evaluate(
        `fetch(${JSON.stringify(`/api/v1/reviews/${encodeURIComponent(id)}/markdown`)}).then((r) => r.text())`,
      ),
    );
    expect(exported).toContain(`- **What happened?** ${summary}`);
    expect(exported).toContain('- **Why did it happen?** v2 shipped a \\<b\\>broken\\</b\\> payment client');
    expect(exported).toContain(
      '| Canary payments before rollout | tech-lead | 2026-12-31 | in-progress | https://tracker.example/PAY-1 |',
    );
    await page.close();
  }, 120_000);

  test('on-call: a two-week calendar in both zones; an override added there is what `oncall who` answers, until removed', async () => {
    const configFile = path.join(tempDir('console-oncall-'), 'runbooks.json');
    writeFileSync(configFile, JSON.stringify(raw));
    const who = async () =>
      (
        await runCli(['oncall', 'who', ROTA], {
          TEMPORAL_ADDRESS: serviceValue('temporal'),
          TEMPORAL_TASK_QUEUE: dev.taskQueue,
          RUNBOOKS_CONFIG: configFile,
        })
      ).stdout;
    const viewerZone = 'America/New_York';
    const ctx = await loggedIn(token, viewerZone);
    const page = await ctx.newPage();
    await page.goto(`${base}/oncall`);
    const section = page.locator('section', { has: page.locator('h2', { hasText: ROTA }) });
    await section
      .locator('p.now', { hasText: /^On call now: (Primary|Secondary) on-call \(daily\)/ })
      .waitFor();
    await expect(section.locator('table.calendar tbody tr').count()).resolves.toBe(14);
    // Handoffs in the viewer's zone, and the schedule's beside them.
    await expect(section.locator('.shifts li').first().textContent()).resolves.toContain('Asia/Tokyo');

    // The form takes the viewer's wall clock (datetime-local): from 5 minutes ago for 2 hours.
    const wall = (t: number) =>
      new Intl.DateTimeFormat('sv-SE', { timeZone: viewerZone, dateStyle: 'short', timeStyle: 'short' })
        .format(new Date(t))
        .replace(' ', 'T');
    await section.locator('select[name=contactId]').selectOption('tech-lead');
    await section.locator('input[name=from]').fill(wall(Date.now() - 5 * 60_000));
    await section.locator('input[name=to]').fill(wall(Date.now() + 2 * 3600_000));
    await section.locator('input[name=reason]').fill('covering the deploy');
    await section.locator('button[type=submit]').click();
    await expect(section.locator('p.accepted').textContent({ timeout: 10_000 })).resolves.toMatch(
      /^Tech lead holds the pager from/,
    );
    await section.locator('.shifts li.override', { hasText: 'Tech lead' }).first().waitFor();
    expect(await who()).toMatch(/Tech lead\s+override/);
    await shot(page, 'console-oncall.png');

    // The same window again overlaps: refused, with the workflow's reason.
    await section.locator('button[type=submit]').click();
    await expect(section.locator('p.refused').textContent({ timeout: 10_000 })).resolves.toMatch(
      /^Not added: .*overlaps/,
    );

    await section
      .locator('li', { hasText: 'covering the deploy' })
      .locator('button', { hasText: 'Remove' })
      .click();
    await expect(section.locator('p.accepted').textContent({ timeout: 10_000 })).resolves.toBe(
      'Override removed.',
    );
    expect(await who()).not.toContain('override');

    // Maintenance: started from the page, listed, ended.
    const service = `maint-${Date.now().toString(36)}`;
    await page.fill('#new-window input[name=service]', service);
    await page.fill('#new-window input[name=minutes]', '30');
    await page.fill('#new-window input[name=reason]', 'database upgrade');
    await page.click('#new-window button[type=submit]');
    await expect(page.locator('#window-answer.accepted').textContent({ timeout: 10_000 })).resolves.toMatch(
      new RegExp(`^Maintenance of ${service} until `),
    );
    const end = page.locator('#windows button', { hasText: `End maintenance of ${service}` });
    await end.waitFor({ timeout: 10_000 });
    await expect(page.locator('#windows li', { hasText: service }).textContent()).resolves.toContain(
      'database upgrade',
    );
    await end.click();
    await page.locator('#window-answer.accepted', { hasText: `Maintenance of ${service} ended.` }).waitFor();
    await ctx.close();
  }, 90_000);

  test('reports: MTTA and MTTR per week and incidents per week as charts, with their numbers; the on-call load', async () => {
    const service = `reports-${Date.now().toString(36)}`;
    const person = `Night owl ${service}`;
    const DAY = 86_400_000;
    // Two past Wednesdays, 10:00 UTC: three incidents over two weeks.
    const wednesday = (weeksBack: number) => {
      const d = new Date(Date.now() - weeksBack * 7 * DAY);
      d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 4) % 7));
      d.setUTCHours(10, 0, 0, 0);
      return d.getTime();
    };
    const opened = [
      { at: wednesday(3), ackS: 120, resolveS: 600 },
      { at: wednesday(3) + 3600_000, ackS: 240, resolveS: 600 },
      { at: wednesday(1), ackS: 60, resolveS: 1200 },
    ];
    for (const [k, o] of opened.entries()) {
      const iso = (t: number) => new Date(t).toISOString();
      await upsertIncident(db, {
        id: `${service}-${k}`,
        workflowId: `${service}-wf-${k}`,
        service,
        severity: 'P2',
        scenario: 'health',
        summary: 'reported',
        status: 'resolved',
        createdAt: iso(o.at),
        acknowledgedAt: iso(o.at + o.ackS * 1000),
        acknowledgedBy: person,
        resolvedAt: iso(o.at + o.resolveS * 1000),
        resolvedBy: person,
        updatedAt: iso(o.at + o.resolveS * 1000),
      });
    }
    // One page in working hours (10:00 UTC, a Wednesday), one at 03:00 UTC.
    const page = (at: number, seq: number) => ({
      at: new Date(at).toISOString(),
      level: 0,
      levelName: 'on call',
      contactIds: ['night-owl'],
      contacts: [person],
      channel: 'page' as const,
      reason: 'new incident',
      delivered: true,
      seq,
    });
    await recordPages(db, `${service}-0`, [page(opened[0].at, 0), page(opened[0].at - 7 * 3600_000, 1)]);

    const view = await context.newPage();
    await view.goto(`${base}/reports?service=${service}`);
    // The page redraws on every change of the store (other tests' incidents go on writing): read it settled.
    await eventually(async () => {
      const rows = await cellsOf(view, '#weeks');
      // MTTA (120 s + 240 s) / 2 = 3 min, MTTR 10 min; then 1 min and 20 min.
      expect(rows.map((r) => r.slice(1))).toEqual([
        ['2', '2', '2', '3', '10'],
        ['1', '1', '1', '1', '20'],
      ]);
    });
    // Two uPlot charts drawn on canvases, with their series named.
    await expect(view.locator('#chart-times canvas').count()).resolves.toBe(1);
    await expect(view.locator('#chart-count canvas').count()).resolves.toBe(1);
    await expect(view.locator('#chart-times .u-legend').textContent()).resolves.toMatch(/MTTA.*MTTR/);
    await eventually(async () =>
      expect(await cellsOf(view, '#load')).toContainEqual([person, '2', '1', '50%']),
    );
    await shot(view, 'console-reports.png');
    await view.close();
  }, 60_000);

  test('a public update whose next one is overdue gets the commander a note, once, in its timeline (the Slack thread follows it)', async () => {
    const summary = `console reminder ${Date.now()}`;
    await intake.post(
      '/alerts',
      { service: 'checkout', severity: 'P2', summary, dedupKey: `console-reminder-${Date.now()}` },
      { authorization: `Bearer ${INTAKE_TOKEN}` },
    );
    const id = await eventually(async () => {
      const list = await apiCall('GET', '/incidents?service=checkout&limit=50');
      const found = (list.body.incidents as Array<{ id: string; summary: string }>).find(
        (i) => i.summary === summary,
      );
      expect(found).toBeDefined();
      return found!.id;
    });
    expect((await apiCall('POST', `/incidents/${id}/acknowledge`, {})).status).toBe(200);
    const published = await apiCall('POST', `/incidents/${id}/status-updates`, {
      status: 'investigating',
      message: 'We are looking into failed payments.',
      nextUpdateInMinutes: 10,
    });
    expect(published.status).toBe(201);
    const temporal = { client: dev.client, timeoutMs: 10_000, taskQueue: dev.taskQueue };
    // Not due yet; then due (as the sweep sees it 11 minutes on); then already reminded.
    expect(await remindDue({ db, temporal })).toBe(0);
    const later = Date.now() + 11 * 60_000;
    expect(await remindDue({ db, temporal }, later)).toBe(1);
    expect(await remindDue({ db, temporal }, later)).toBe(0);
    const note = await eventually(async () => {
      const record = await apiCall('GET', `/incidents/${id}`);
      const found = (record.body.timeline as Array<{ type: string; message: string; actor: string }>).find(
        (e) => e.actor === REMINDER_BY,
      );
      expect(found).toBeDefined();
      return found!;
    });
    expect(note.type).toBe('note');
    expect(note.message).toMatch(
      /^Status page: the next public update for customers was due at .* Primary on-call \(api:primary-oncall\): publish one/,
    );
    // A new update answers the reminder: nothing is due until its own next time.
    expect(
      (
        await apiCall('POST', `/incidents/${id}/status-updates`, {
          status: 'identified',
          message: 'Found it.',
        })
      ).status,
    ).toBe(201);
    expect(await remindDue({ db, temporal }, later)).toBe(0);
  }, 60_000);

  test('the API stops with browsers still listening: their event streams end, close() does not wait for them', async () => {
    const other = await buildApiServer({ db, config, version: 'test' });
    const url = await other.listen({ host: '127.0.0.1', port: 0 });
    const stream = await fetch(`${url}/api/v1/events`, { headers: { authorization: `Bearer ${token}` } });
    expect([stream.status, stream.headers.get('content-type')]).toEqual([
      200,
      'text/event-stream; charset=utf-8',
    ]);
    const reader = stream.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('retry: 2000\n\n');
    const closed = other.close().then(() => 'closed');
    await expect(
      Promise.race([closed, new Promise((r) => setTimeout(() => r('still waiting after 5 s'), 5000))]),
    ).resolves.toBe('closed');
    // The stream ended (the browser's EventSource then reconnects to whichever API answers).
    expect((await reader.read()).done).toBe(true);
  }, 20_000);
});
