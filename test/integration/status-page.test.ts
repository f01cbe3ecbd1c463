/**
 * The public status page over a real PostgreSQL store, on its own listener, read in Chromium: a P1 on a
 * customer-facing service makes it a major outage, a responder's update (hostile text included) shows as
 * text, an override wins until withdrawn, and after the resolve the service is operational and the incident
 * is history. The Atom feed is well-formed XML (Python's parser). Screenshots go to test-results/, and to
 * docs/screenshots/ with UPDATE_SCREENSHOTS=1.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import axios from 'axios';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser } from 'playwright-core';
import { buildApiServer } from '../../intake/api/server';
import { startStatusPage } from '../../intake/api/main';
import { openStore, upsertIncident, type IncidentRecord, type SqlClient } from '../../store';
import { testConfig } from '../../scripts/testbed/config';
import { describeWith, serviceValue } from '../../scripts/testbed/services';
import { freshPostgres } from '../support/fresh-postgres';
import { HOSTILE } from '../support/hostile-text';
import { FakeJsonSink } from '../support/fake-saas';
import type { RunbooksConfig } from '../../config';

const ROOT = path.resolve(__dirname, '..', '..');
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-sync'];
const SCRIPT = HOSTILE.find((t) => t.startsWith('<script>'))!;

describeWith(['postgres', 'chromium'], 'the status page, in Chromium', () => {
  const external = new FakeJsonSink();
  let config: RunbooksConfig;
  let db: SqlClient;
  let api: FastifyInstance;
  let apiUrl: string;
  let status: { url: string; close: () => Promise<void> };
  let browser: Browser;
  beforeAll(async () => {
    await external.start();
    config = testConfig({
      publicStatus: { title: 'Example status', firstMessage: 'Some customers may see errors on {service}.' },
      services: { checkout: { customerFacing: true }, internal: {} },
      statusPage: { url: `${external.url}/api/incidents` },
    });
    db = await openStore(await freshPostgres('status'));
    api = await buildApiServer({ db, config, version: 'test', statusCacheMs: 0 });
    await api.listen({ host: '127.0.0.1', port: 0 });
    apiUrl = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}`;
    status = (await startStatusPage({ db, config, statusCacheMs: 0 }, { STATUS_PORT: '0' }))!;
    browser = await chromium.launch({ executablePath: serviceValue('chromium'), args: CHROMIUM_FLAGS });
  });
  afterAll(async () => {
    await browser?.close();
    await status?.close();
    await api?.close();
    await db?.close();
    await external.stop();
  });

  const incident = (id: string, service: string, patch: Partial<IncidentRecord> = {}): IncidentRecord => ({
    id,
    workflowId: `wf-${id}`,
    service,
    severity: 'P1',
    scenario: 'health',
    summary: 'ALERT TEXT: checkout 5xx ratio 0.31 > 0.05 (never on the page)',
    status: 'triggered',
    createdAt: new Date().toISOString(),
    acknowledgedAt: null,
    acknowledgedBy: null,
    resolvedAt: null,
    resolvedBy: null,
    updatedAt: new Date().toISOString(),
    ...patch,
  });
  const get = (url: string) => axios.get(url, { validateStatus: () => true, responseType: 'text' });
  const json = async () => JSON.parse((await get(`${status.url}/status.json`)).data as string);
  const post = (p: string, body: unknown) =>
    axios.post(`${apiUrl}/api/v1${p}`, body, { validateStatus: () => true });
  const shot = async (page: import('playwright-core').Page, name: string) => {
    const dirs = [path.join(ROOT, 'test-results')];
    if (process.env.UPDATE_SCREENSHOTS === '1') dirs.push(path.join(ROOT, 'docs', 'screenshots'));
    for (const dir of dirs) {
      mkdirSync(dir, { recursive: true });
      await page.screenshot({ path: path.join(dir, name), fullPage: true });
    }
  };

  test('P1 → major outage; the responder update as text; override; resolve → operational and history', async () => {
    const before = await json();
    expect(before.services.map((s: { service: string; health: string }) => [s.service, s.health])).toEqual([
      ['checkout', 'operational'],
      ['insights-app', 'operational'],
    ]);
    await upsertIncident(db, incident('status-1', 'checkout'));
    await upsertIncident(db, incident('status-2', 'internal'));
    const opened = await json();
    expect(opened.overall).toBe('major_outage');
    // Before anyone writes, customers see the configured first message, never the alert's text.
    expect(opened.active).toEqual([
      {
        incidentId: 'status-1',
        service: 'checkout',
        title: 'checkout: service disruption',
        status: 'investigating',
        updates: [
          expect.objectContaining({ message: 'Some customers may see errors on checkout.', automatic: true }),
        ],
      },
    ]);

    // Only responders write; only customer-facing incidents; unknown ones are 404.
    expect(
      (await post('/incidents/status-2/status-updates', { status: 'investigating', message: 'x' })).status,
    ).toBe(422);
    expect(
      (await post('/incidents/none/status-updates', { status: 'investigating', message: 'x' })).status,
    ).toBe(404);
    expect(
      (await post('/incidents/status-1/status-updates', { status: 'guessing', message: 'x' })).data.error,
    ).toMatch(/^body\/status|^status/);
    const published = await post('/incidents/status-1/status-updates', {
      status: 'investigating',
      title: 'Checkout errors',
      message: `We are currently experiencing errors at checkout.\n${SCRIPT}`,
      impact: 'Users may fail to pay.',
      eta: 'within the hour',
    });
    expect(published.status).toBe(201);
    expect(Date.parse(published.data.nextUpdateAt) - Date.parse(published.data.publishedAt)).toBe(
      30 * 60_000,
    );
    expect(published.data.author).toBe('api (this machine)');
    // Sent on to the external status page: the responder's words, not the alert's.
    expect(published.data.externalStatusPage).toBe('status page #1 accepted (201)');
    expect(external.requests.map((r) => r.body)).toEqual([
      expect.objectContaining({
        incidentId: 'status-1',
        state: 'investigating',
        title: 'Checkout errors',
        impact: 'Users may fail to pay.',
      }),
    ]);
    expect(JSON.stringify(external.requests)).not.toMatch(/ALERT TEXT|this machine/);

    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    try {
      await page.goto(`${status.url}/status`);
      await page.getByRole('status').filter({ hasText: 'Major outage' }).waitFor({ timeout: 5000 });
      await page.getByText(SCRIPT).first().waitFor({ timeout: 5000 });
      expect(await page.getByRole('heading', { name: 'Checkout errors' }).count()).toBe(1);
      expect(await page.getByText('Users may fail to pay.').count()).toBe(1);
      // Hostile text stayed text: no element, no dialog; the alert's own text is not on the page.
      expect(await page.locator('script, img, iframe').count()).toBe(0);
      expect(dialogs).toEqual([]);
      expect(await page.content()).not.toContain('ALERT TEXT');
      await shot(page, 'status-page-outage.png');
      // At a phone's width nothing is cut or scrolls sideways.
      await page.setViewportSize({ width: 390, height: 844 });
      expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
      await page.setViewportSize({ width: 1280, height: 800 });

      // A responder's word wins, until withdrawn.
      const override = await axios.put(`${apiUrl}/api/v1/status/services/checkout`, {
        health: 'degraded',
        reason: 'failover carries the load',
      });
      expect(override.status).toBe(200);
      // Why, but not who: the person is in the audit.
      expect((await json()).services[0]).toEqual({
        service: 'checkout',
        health: 'degraded',
        source: 'responder',
        reason: 'failover carries the load',
      });
      expect((await axios.delete(`${apiUrl}/api/v1/status/services/checkout`)).status).toBe(204);
      expect((await json()).services[0]).toMatchObject({ health: 'major_outage', source: 'incidents' });

      await upsertIncident(
        db,
        incident('status-1', 'checkout', {
          status: 'resolved',
          updatedAt: new Date(Date.now() + 1000).toISOString(),
        }),
      );
      await post('/incidents/status-1/status-updates', {
        status: 'resolved',
        message: 'Payments work again.',
      });
      await page.reload();
      await page
        .getByRole('status')
        .filter({ hasText: 'All systems operational' })
        .waitFor({ timeout: 5000 });
      await page.getByText('Payments work again.').waitFor({ timeout: 5000 });
      await shot(page, 'status-page-resolved.png');
    } finally {
      await page.close();
    }
    const after = await json();
    expect([after.overall, after.active, after.past.map((i: { title: string }) => i.title)]).toEqual([
      'operational',
      [],
      ['Checkout errors'],
    ]);
    expect(JSON.stringify(after)).not.toMatch(/author|this machine|ALERT TEXT/);

    // The feed: well-formed Atom with both updates, newest first.
    const feed = await get(`${status.url}/status/feed.atom`);
    expect(feed.headers['content-type']).toMatch(/^application\/atom\+xml/);
    const parsed = spawnSync(
      'python3',
      [
        '-c',
        'import sys,xml.etree.ElementTree as E;r=E.fromstring(sys.stdin.buffer.read());n="{http://www.w3.org/2005/Atom}";print("|".join(e.find(n+"title").text for e in r.findall(n+"entry")))',
      ],
      { input: feed.data as string, encoding: 'utf8' },
    );
    expect({ status: parsed.status, stderr: parsed.stderr }).toEqual({ status: 0, stderr: '' });
    expect(parsed.stdout.trim()).toBe('Resolved: Checkout errors|Investigating: Checkout errors');
  });

  test('its own listener serves the page alone, under a CSP that lets nothing run', async () => {
    const page = await get(`${status.url}/status`);
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toMatch(/^default-src 'none'/);
    expect((await get(`${status.url}/api/v1/incidents`)).status).toBe(404);
    expect((await get(`${status.url}/healthz`)).status).toBe(404);
    // The API's listener has it too, without a login.
    expect((await get(`${apiUrl}/status.json`)).status).toBe(200);
  });
});
