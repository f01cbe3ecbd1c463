/** What the intake's webhook tests share: its token and signing secrets, and one intake per describe block. */
import { createHmac } from 'node:crypto';
import type { RunbooksConfig } from '../../config';
import { startDevWorker, type DevWorker } from './dev-server';
import { startIntake, type RunningIntake } from './intake';

export const TOKEN = 'intake-test-token-0123456789';
export const SLACK_SECRET = 'slack-signing-secret-for-tests';
export const PD_SECRET = 'pagerduty-webhook-secret-for-tests';
export const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v));
export const unique = () => `${Date.now()}-${Math.random().toString(16).slice(2, 8)}`;

export function slackSigned(body: string, ts = Math.floor(Date.now() / 1000)) {
  const signature = `v0=${createHmac('sha256', SLACK_SECRET).update(`v0:${ts}:${body}`).digest('hex')}`;
  return {
    'content-type': 'application/x-www-form-urlencoded',
    'x-slack-request-timestamp': String(ts),
    'x-slack-signature': signature,
  };
}

/**
 * A worker on the dev server and the intake in front of it, with the bearer token and both signing
 * secrets, started before the block's tests and stopped after them.
 */
export function webhookIntake(config: RunbooksConfig): { dev: DevWorker; intake: RunningIntake } {
  const suite = {} as { dev: DevWorker; intake: RunningIntake };
  beforeAll(async () => {
    suite.dev = await startDevWorker(config);
    suite.intake = await startIntake({
      client: suite.dev.client,
      config,
      taskQueue: suite.dev.taskQueue,
      token: TOKEN,
      env: { SLACK_SIGNING_SECRET: SLACK_SECRET, PAGERDUTY_WEBHOOK_SECRET: PD_SECRET },
    });
  });
  afterAll(async () => {
    await suite.intake?.close();
    await suite.dev?.close();
  });
  return suite;
}
