/**
 * E-mail as a notification channel, against a real SMTP server in the test (`smtp-server`): a paged contact
 * with an address is e-mailed, the security team on a security incident; once per notification key, even
 * when the worker sending it is SIGKILLed mid-message, or the activity runs again after the server said 250.
 */
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { createEmailActivities, EmailLedger } from '../../activities/email';
import { statusQuery } from '../../domain/messages';
import { killGroup } from '../../scripts/testbed/local-services';
import { testConfig, writeTestConfig } from '../../scripts/testbed/config';
import { eventually } from '../../scripts/testbed/eventually';
import { describeWith, serviceValue } from '../../scripts/testbed/services';
import { tempDir, uniqueTaskQueue } from '../../scripts/testbed/temporal';
import { startTestIncident } from '../support/dev-server';
import { SmtpReceiver } from '../support/smtp';
import { spawnWorkerProcess } from '../support/worker-process';

const PRIMARY = { 'primary-oncall': { email: 'primary@example.com' } };

describeWith(['temporal'], 'e-mail over SMTP', () => {
  const smtp = new SmtpReceiver();
  let connection: Connection;
  let client: Client;
  const workers: ChildProcess[] = [];

  beforeAll(async () => {
    await smtp.start();
    connection = await Connection.connect({ address: serviceValue('temporal') });
    client = new Client({ connection });
  });
  afterAll(async () => {
    for (const w of workers) await killGroup(w, 1000);
    await connection?.close();
    await smtp.stop();
  });

  function startWorker(name: string) {
    const dir = tempDir(`email-${name}-`);
    const configFile = writeTestConfig(dir, {
      smtp: smtp.settings(),
      contacts: PRIMARY,
      journal: { file: path.join(dir, 'notifications.jsonl') },
    });
    const taskQueue = uniqueTaskQueue(`email-${name}`);
    const start = () => {
      const child = spawnWorkerProcess(taskQueue, { RUNBOOKS_CONFIG: configFile });
      workers.push(child);
      return child;
    };
    return { taskQueue, start };
  }

  const mailsFor = (incidentId: string) => smtp.received.filter((m) => m.text.includes(incidentId));

  test('a security incident: the primary on-call and the security team are e-mailed, each once, in plain text', async () => {
    const { taskQueue, start } = startWorker('security');
    start();
    const handle = await startTestIncident(client, taskQueue, 'email-security', {
      security: true,
      summary: 'credential stuffing <b>attack</b>',
    });
    try {
      const { incidentId } = await handle.query(statusQuery);
      await eventually(async () => expect(mailsFor(incidentId)).toHaveLength(2), 60_000, 200);
      const mails = mailsFor(incidentId).sort((a, b) => a.to[0].localeCompare(b.to[0]));
      expect(mails.map((m) => [m.to, m.subject, m.from])).toEqual([
        [
          ['primary@example.com'],
          '[P1] checkout: credential stuffing <b>attack</b>',
          '"Durable Runbooks" <runbooks@example.com>',
        ],
        [
          ['security@company.com'],
          '[P1] checkout: credential stuffing <b>attack</b>',
          '"Durable Runbooks" <runbooks@example.com>',
        ],
      ]);
      expect(mails[0].text).toContain(`You are paged for incident ${incidentId} (primary on-call).`);
      expect(mails[1].text).toContain('Why:      security incident: security team paged');
      expect(new Set(mails.map((m) => m.messageId)).size).toBe(2);
      // The notification key: the page's dedup key and the contact, in the sender's domain.
      expect(mails[0].messageId).toBe(`<${incidentId}.page-1.primary-oncall@example.com>`);
      const view = await handle.query(statusQuery);
      expect(
        view.timeline
          .filter((e) => e.type === 'page')
          .map((e) => e.message)
          .join('\n'),
      ).toContain('e-mailed primary@example.com');
    } finally {
      await handle.terminate('test finished').catch(() => undefined);
    }
  }, 90_000);

  test('the worker SIGKILLed while the server holds the message: the next worker sends it, and it arrives once', async () => {
    const { taskQueue, start } = startWorker('kill');
    const first = start();
    smtp.holdMs = 30_000;
    const handle = await startTestIncident(client, taskQueue, 'email-kill');
    try {
      const { incidentId } = await handle.query(statusQuery);
      // The whole message is with the server, which has not answered: the worker dies waiting for its 250.
      await eventually(async () => expect(smtp.held).toBeGreaterThan(0), 60_000, 50);
      process.kill(-first.pid!, 'SIGKILL');
      smtp.holdMs = 0;
      start();
      await eventually(async () => expect(mailsFor(incidentId)).toHaveLength(1), 60_000, 200);
      const view = await eventually(async () => {
        const v = await handle.query(statusQuery);
        expect(v.paged.find((p) => p.level === 0)?.delivered).toBe(true);
        return v;
      }, 60_000);
      expect(view.paged.filter((p) => p.level === 0)).toHaveLength(1);
      // The dead worker's copy was never accepted, and the page's activity has completed: nothing more comes.
      await eventually(async () => expect(smtp.discarded).toBe(1), 60_000, 50);
      expect(mailsFor(incidentId)).toHaveLength(1);
    } finally {
      smtp.holdMs = 0;
      await handle.terminate('test finished').catch(() => undefined);
    }
  }, 120_000);

  test('sent again after the server accepted it (a retried activity): the ledger keeps it to one message', async () => {
    const dir = tempDir('email-ledger-');
    const config = testConfig({ smtp: smtp.settings() });
    const ledger = () => new EmailLedger(path.join(dir, 'email-sent.jsonl'));
    const message = {
      messageId: `<ledger-${Date.now()}.primary-oncall@example.com>`,
      to: ['primary@example.com'],
      subject: 'subject',
      text: 'once',
    };
    const first = await createEmailActivities(config, {}, ledger()).send(message, 'incident-x');
    // A new worker process: a fresh ledger object reading the same file.
    const again = await createEmailActivities(config, {}, ledger()).send(message, 'incident-x');
    expect([first.delivered, again]).toEqual([
      true,
      { delivered: true, detail: `e-mailed primary@example.com (sent before: ${message.messageId})` },
    ]);
    expect(smtp.received.filter((m) => m.messageId === message.messageId)).toHaveLength(1);
    // A server that refuses everything: said, not thrown.
    const down = testConfig({ smtp: { ...smtp.settings(), port: 1 } });
    const refused = await createEmailActivities(down, {}, ledger()).send(
      { ...message, messageId: `<down-${Date.now()}@example.com>` },
      'incident-x',
    );
    expect(refused).toMatchObject({
      delivered: false,
      detail: expect.stringMatching(/^e-mail to primary@example.com failed: /),
    });
  }, 60_000);
});
