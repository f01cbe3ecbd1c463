/**
 * Engine revision 9 on workflow time (time-skipping server), with the real activities, a real SMTP server in the
 * test and the notification journal (no Slack or PagerDuty credentials: both channels write there): a person's
 * notification rules choose the channels of a page, and their follow-ups go out later unless the incident is
 * owned by then.
 */
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { acknowledgeUpdate, statusQuery } from '../../domain/messages';
import { incidentWorkflow } from '../../workflows/incident';
import { testConfig } from '../../scripts/testbed/config';
import { eventually } from '../../scripts/testbed/eventually';
import { describeWith } from '../../scripts/testbed/services';
import { tempDir } from '../../scripts/testbed/temporal';
import { SmtpReceiver } from '../support/smtp';
import { useTimeSkippingWorker } from '../support/time-skipping-worker';

describeWith(
  ['testServer', 'postgres'],
  'notification rules (engine revision 9, time-skipping server)',
  () => {
    const smtp = new SmtpReceiver();
    const journal = path.join(tempDir('notification-rules-'), 'notifications.jsonl');
    beforeAll(() => smtp.start());
    afterAll(() => smtp.stop());
    const ts = useTimeSkippingWorker('notification_rules', () =>
      testConfig({
        engine: { revision: 9 },
        smtp: smtp.settings(),
        journal: { file: journal },
        docker: { socketPath: path.join(tempDir(), 'no-docker.sock') },
        services: { billing: {} },
        severityPolicy: { P1: { respondWithin: '30m' } },
        contacts: {
          // Slack at once; for P1 e-mail after 5 minutes and PagerDuty after 10 (PagerDuty's own rules then call).
          'primary-oncall': {
            email: 'primary@example.com',
            slackUserId: 'U0PRIMARY',
            notificationRules: [
              { channel: 'slack' },
              { channel: 'email', after: '5m', severities: ['P1'] },
              { channel: 'pagerduty', after: '10m', severities: ['P1'] },
            ],
          },
        },
      }),
    );

    async function incident(tag: string) {
      const handle = await ts.env.client.workflow.start(incidentWorkflow, {
        taskQueue: ts.taskQueue,
        workflowId: `notification-rules-${tag}-${Date.now()}`,
        args: [
          {
            dedupKey: tag,
            service: 'billing',
            scenario: 'health',
            severity: 'P1',
            summary: 'invoices <!channel> late',
            security: false,
          },
        ],
      });
      const { incidentId } = await eventually(() => handle.query(statusQuery));
      return { handle, incidentId };
    }
    /** The journal's entries for this incident (Slack and PagerDuty without credentials write there). */
    const entries = (incidentId: string) =>
      (existsSync(journal) ? readFileSync(journal, 'utf8').trim().split('\n') : [])
        .filter(Boolean)
        .map(
          (l) =>
            JSON.parse(l) as {
              kind: string;
              incidentId: string;
              contact?: string;
              dedupKey?: string;
              text?: string;
            },
        )
        .filter((e) => e.incidentId === incidentId);
    const mailsOf = (id: string) => smtp.received.filter((m) => m.text.includes(id));

    test('a page reaches the person by their rules: Slack at once, e-mail at +5 min, PagerDuty at +10 min', async () => {
      const { handle, incidentId } = await incident('unowned');
      const [dm] = await eventually(async () => {
        const dms = entries(incidentId).filter(
          (e) => e.kind === 'slack.dm' && e.contact === 'primary-oncall',
        );
        expect(dms).toHaveLength(1);
        return dms;
      });
      // The alert's words are data in Slack too: no channel-wide mention from a summary.
      expect(dm.text).toContain('invoices &lt;!channel&gt; late');
      // Their rules name no PagerDuty and no e-mail at once for P1: neither went with the page.
      expect(entries(incidentId).filter((e) => e.kind === 'pagerduty.trigger')).toEqual([]);
      expect(mailsOf(incidentId)).toEqual([]);
      const waiting = await handle.query(statusQuery);
      expect(waiting.followUps?.map((f) => f.channel)).toEqual(['email', 'pagerduty']);
      const pagedAt = Date.parse(waiting.paged[0].at);
      expect(waiting.followUps?.map((f) => Date.parse(f.dueAt) - pagedAt)).toEqual([300_000, 600_000]);

      await ts.env.sleep('5m');
      const [mail] = await eventually(async () => {
        const mails = mailsOf(incidentId);
        expect(mails).toHaveLength(1);
        return mails;
      });
      expect(mail.to).toEqual(['primary@example.com']);
      expect(mail.subject).toBe('[P1] billing: invoices <!channel> late');
      expect(entries(incidentId).filter((e) => e.kind === 'pagerduty.trigger')).toEqual([]);

      await ts.env.sleep('5m');
      const [trigger] = await eventually(async () => {
        const triggers = entries(incidentId).filter((e) => e.kind === 'pagerduty.trigger');
        expect(triggers).toHaveLength(1);
        return triggers;
      });
      // The page's own dedup key: the incident's acknowledgement resolves this PagerDuty alert too.
      expect(trigger.dedupKey).toBe(waiting.paged[0].dedupKey);
      const view = await handle.query(statusQuery);
      expect(view.followUps).toEqual([]);
      const said = view.timeline.filter(
        (t) => t.type === 'notified' && t.message.startsWith('followed up with'),
      );
      expect(said.map((t) => t.message)).toEqual([
        expect.stringContaining('by email, 5:00 after the page'),
        expect.stringContaining('by pagerduty, 10:00 after the page'),
      ]);
      expect(mailsOf(incidentId)).toHaveLength(1); // each follow-up once
      await handle.terminate('checked');
    });

    test('an acknowledgement before a follow-up is due cancels it: no e-mail, no page', async () => {
      const { handle, incidentId } = await incident('owned');
      await eventually(async () => expect(entries(incidentId).some((e) => e.kind === 'slack.dm')).toBe(true));
      await ts.env.sleep('1m');
      await handle.executeUpdate(acknowledgeUpdate, { args: [{ by: 'primary-oncall' }] });
      expect((await handle.query(statusQuery)).followUps).toEqual([]);
      await ts.env.sleep('12m');
      expect(mailsOf(incidentId)).toEqual([]);
      expect(entries(incidentId).filter((e) => e.kind === 'pagerduty.trigger')).toEqual([]);
      const view = await handle.query(statusQuery);
      expect(view.timeline.some((t) => t.message.startsWith('followed up with'))).toBe(false);
      await handle.terminate('checked');
    });
  },
);
