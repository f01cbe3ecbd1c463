import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { incidentWorkflow } from '../../workflows/incident';
import { statusQuery } from '../../domain/messages';
import { testConfig } from '../../scripts/testbed/config';
import { startDevWorker, type DevWorker } from '../support/dev-server';
import { eventually } from '../../scripts/testbed/eventually';
import { EventType, openTimerDeadlines, waitUntilIdle } from '../../scripts/testbed/history';
import { describeWith, serviceValue } from '../../scripts/testbed/services';

const ROOT = path.resolve(__dirname, '..', '..');
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
];

describeWith(
  ['temporal', 'chromium'],
  'a responder acknowledges through the Temporal UI (real Chromium)',
  () => {
    let dev: DevWorker;
    let browser: Browser;
    beforeAll(async () => {
      // A rung far longer than any browser takes: the test never races the ladder, it checks the timer.
      dev = await startDevWorker(
        testConfig({ severityPolicy: { P1: { respondWithin: '30m', statusUpdateEvery: null } } }),
      );
      browser = await chromium.launch({ executablePath: serviceValue('chromium'), args: CHROMIUM_FLAGS });
    });
    afterAll(async () => {
      await browser?.close();
      await dev?.close();
    });

    test('"Send a Signal" → acknowledge stops escalation', async () => {
      const handle = await dev.client.workflow.start(incidentWorkflow, {
        taskQueue: dev.taskQueue,
        workflowId: `ui-ack-${Date.now()}`,
        args: [
          {
            dedupKey: 'ui',
            service: 'checkout',
            scenario: 'health',
            severity: 'P1',
            summary: 'checkout down (UI test)',
            security: false,
          },
        ],
      });
      const opened = await eventually(async () => {
        const v = await handle.query(statusQuery);
        expect(v.paged.some((p) => p.level === 0)).toBe(true);
        expect(v.nextEscalationAt).not.toBeNull();
        return v;
      });
      const ui = process.env.RUNBOOKS_TEST_TEMPORAL_UI as string;
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      try {
        await page.goto(`${ui}/namespaces/default/workflows/${handle.workflowId}`);
        await page.getByRole('button', { name: 'More Actions' }).click();
        await page.getByRole('menuitem', { name: /Send a Signal/i }).click();
        const dialog = page.getByRole('dialog');
        // With a worker running, the UI lists the handlers the workflow registered, with their descriptions.
        await dialog.getByTestId('signal-select-button').click();
        const option = page
          .getByRole('option')
          .filter({ hasText: 'Acknowledge the incident and stop escalation' });
        await expect(option.innerText()).resolves.toMatch(/^\s*acknowledge\b/);
        await option.click();
        const editor = dialog.getByRole('textbox', { name: '' }).last();
        await editor.click();
        await page.keyboard.type('{"by": "ui-responder"');
        await dialog.getByTestId('confirm-modal-button').click();
        await eventually(async () =>
          expect(await handle.query(statusQuery)).toMatchObject({
            status: 'acknowledged',
            acknowledgedBy: 'ui-responder',
          }),
        );
        await page.reload();
        await page
          .getByText('Signaled')
          .first()
          .waitFor({ timeout: 10_000 })
          .catch(() => undefined);
        mkdirSync(path.join(ROOT, 'test-results'), { recursive: true });
        await page.screenshot({
          path: path.join(ROOT, 'test-results', 'temporal-ui-acknowledge.png'),
          fullPage: false,
        });
      } finally {
        await page.close();
      }
      // Once the workflow is idle after the ack, the escalation timer armed for the secondary was
      // cancelled, not fired; the one timer left is the acknowledgement timeout.
      const events = await waitUntilIdle(handle);
      const view = await handle.query(statusQuery);
      const [ackTimeout, ...others] = openTimerDeadlines(events);
      expect(others).toEqual([]);
      expect(Math.abs(ackTimeout - Date.parse(view.ackExpiresAt as string))).toBeLessThan(1000);
      expect(events.some((e) => e.eventType === EventType.EVENT_TYPE_TIMER_CANCELED)).toBe(true);
      expect(events.some((e) => e.eventType === EventType.EVENT_TYPE_TIMER_FIRED)).toBe(false);
      expect(view.paged.filter((p) => p.level >= 0).map((p) => p.levelName)).toEqual(['primary on-call']);
      expect(view.nextEscalationAt).toBeNull();
      expect(Date.parse(view.acknowledgedAt as string)).toBeLessThan(Date.parse(opened.nextEscalationAt!));
      await handle.terminate();
    });
  },
);
