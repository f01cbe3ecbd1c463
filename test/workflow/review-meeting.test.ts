/**
 * Engine revision 8 on workflow time (time-skipping server), against a real SMTP server in the test: at close
 * the review meeting is proposed to everyone who responded, with an iCalendar invitation; the commander is
 * reminded at +2 h when nobody confirmed it; a confirmation naming another time moves it (SEQUENCE 1).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  acknowledgeUpdate,
  addNoteUpdate,
  resolveUpdate,
  reviewScheduledSignal,
  setRoleUpdate,
  statusQuery,
} from '../../domain/messages';
import { incidentWorkflow } from '../../workflows/incident';
import { testConfig } from '../../scripts/testbed/config';
import { eventually } from '../../scripts/testbed/eventually';
import { describeWith } from '../../scripts/testbed/services';
import { tempDir } from '../../scripts/testbed/temporal';
import { SmtpReceiver } from '../support/smtp';
import { useTimeSkippingWorker } from '../support/time-skipping-worker';

describeWith(
  ['testServer', 'postgres'],
  'the review meeting (engine revision 8, time-skipping server)',
  () => {
    const smtp = new SmtpReceiver();
    const journal = path.join(tempDir('review-meeting-'), 'notifications.jsonl');
    beforeAll(() => smtp.start());
    afterAll(() => smtp.stop());
    const ts = useTimeSkippingWorker('review_meeting', () =>
      testConfig({
        engine: { revision: 8 },
        smtp: smtp.settings(),
        journal: { file: journal },
        docker: { socketPath: path.join(tempDir(), 'no-docker.sock') },
        services: { billing: {} },
        contacts: {
          'primary-oncall': { email: 'primary@example.com' },
          amy: { name: 'Amy, "the" lead', email: 'amy@example.com', slackUserId: 'U0AMY' },
        },
      }),
    );

    /** An incident acknowledged by the primary, Amy its commander, a note by someone with no contact. */
    async function resolvedIncident(tag: string) {
      const handle = await ts.env.client.workflow.start(incidentWorkflow, {
        taskQueue: ts.taskQueue,
        workflowId: `review-meeting-${tag}-${Date.now()}`,
        args: [
          {
            dedupKey: tag,
            service: 'billing',
            scenario: 'health',
            severity: 'P2',
            summary: 'invoices; late',
            security: false,
          },
        ],
      });
      await handle.executeUpdate(acknowledgeUpdate, { args: [{ by: 'primary-oncall' }] });
      await handle.executeUpdate(setRoleUpdate, {
        args: [{ by: 'primary-oncall', role: 'commander', person: 'amy' }],
      });
      await handle.executeUpdate(addNoteUpdate, { args: [{ by: 'visitor', text: 'looked at the queue' }] });
      await handle.executeUpdate(resolveUpdate, {
        args: [{ by: 'primary-oncall', summary: 'queue drained' }],
      });
      await ts.env.sleep('1m');
      const view = await handle.query(statusQuery);
      return { incidentId: view.incidentId, resolvedAt: Date.parse(view.resolvedAt!) };
    }
    const mailsOf = (id: string) => smtp.received.filter((m) => m.text.includes(id));
    const thread = () => readFileSync(journal, 'utf8');

    test('everyone who responded is invited at close; the commander is reminded at +2 h', async () => {
      const { incidentId, resolvedAt } = await resolvedIncident('forgotten');
      const [invite] = await eventually(async () => {
        const mails = mailsOf(incidentId);
        expect(mails).toHaveLength(1);
        return mails;
      });
      expect(invite.to.sort()).toEqual(['amy@example.com', 'primary@example.com']);
      expect(invite.subject).toBe('Post-incident review: [P2] billing: invoices; late');
      const start = Math.ceil((resolvedAt + 4 * 3_600_000) / 1_800_000) * 1_800_000;
      const utc = (ms: number) =>
        new Date(ms)
          .toISOString()
          .replace(/[-:]/g, '')
          .replace(/\.\d{3}/, '');
      const ics = invite.calendar!;
      expect(ics).toContain('METHOD:REQUEST\r\n');
      expect(ics).toContain(`UID:${incidentId}-review\r\n`);
      expect(ics).toContain('SEQUENCE:0\r\n');
      expect(ics).toContain(`DTSTART:${utc(start)}\r\nDTEND:${utc(start + 3_600_000)}\r\n`);
      expect(ics).toContain('SUMMARY:Post-incident review: [P2] billing: invoices\\; late\r\n');
      expect(ics.replace(/\r\n /g, '')).toContain(
        'ATTENDEE;CN="Amy, the lead";ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:amy@example.com',
      );
      expect(ics.split('\r\n').every((line) => Buffer.byteLength(line) <= 75)).toBe(true);
      expect(invite.text).toContain(`durable-runbooks incident review-scheduled ${incidentId}`);
      // The thread hears of it, naming who has no address (the note's author is no contact).
      await eventually(async () => expect(thread()).toContain('Post-incident review proposed for'));
      expect(thread()).toContain('Not invited by e-mail: visitor');

      await ts.env.sleep('2h');
      const reminder = await eventually(async () => {
        const mails = mailsOf(incidentId);
        expect(mails).toHaveLength(2);
        return mails[1];
      });
      expect(reminder.to).toEqual(['amy@example.com']);
      expect(reminder.subject).toBe('Not confirmed: post-incident review of [P2] billing: invoices; late');
      await eventually(async () =>
        expect(thread()).toContain(`<@U0AMY>: the post-incident review of ${incidentId}`),
      );
    });

    test('a confirmation with another time moves the meeting: the invitation is sent again, SEQUENCE 1', async () => {
      const { incidentId } = await resolvedIncident('moved');
      await eventually(async () => expect(mailsOf(incidentId)).toHaveLength(1));
      const at = '2030-01-07T10:00:00Z';
      await ts.env.client.workflow
        .getHandle(`${incidentId}-review`)
        .signal(reviewScheduledSignal, { by: 'amy', when: at });
      const moved = await eventually(async () => {
        const mails = mailsOf(incidentId);
        expect(mails).toHaveLength(2);
        return mails[1];
      });
      expect(moved.subject).toBe('Moved: Post-incident review: [P2] billing: invoices; late');
      expect(moved.calendar).toContain('SEQUENCE:1\r\n');
      expect(moved.calendar).toContain('DTSTART:20300107T100000Z\r\n');
      await eventually(async () =>
        expect(thread()).toContain('Post-incident review moved to 2030-01-07 10:00 UTC'),
      );
      // Confirmed: the child ended without reminding anyone (its commander's reminder would be at +2 h).
      const review = ts.env.client.workflow.getHandle(`${incidentId}-review`);
      await eventually(async () => expect((await review.describe()).status.name).toBe('COMPLETED'));
      expect(mailsOf(incidentId)).toHaveLength(2);
    });
  },
);
