/**
 * A Slack channel per incident (`slack.channelPerIncident`) against the Slack contract server: created for a
 * P1, the paged people invited (and those paged later), the thread there, archived on close; the shared
 * channel for a P3 and when the bot lacks the scope.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { incidentWorkflow } from '../../workflows/incident';
import { escalateUpdate, resolveUpdate, statusQuery } from '../../domain/messages';
import type { IncidentInput } from '../../domain/types';
import { testConfig } from '../../scripts/testbed/config';
import { startDevWorker, type DevWorker } from '../support/dev-server';
import { eventually } from '../../scripts/testbed/eventually';
import { FakeSlack } from '../support/fake-saas';
import { describeWith } from '../../scripts/testbed/services';

const TOKEN = 'xoxb-test-0000-channel-per-incident';

describeWith(['temporal'], 'a Slack channel per incident (Slack contract server)', () => {
  let dev: DevWorker;
  const slack = new FakeSlack(TOKEN);
  const handles: WorkflowHandle[] = [];

  beforeAll(async () => {
    await slack.start();
    const config = testConfig({
      slack: { apiUrl: slack.apiUrl, channelPerIncident: { enabled: true } },
      resolution: { stabilityWatch: '1s', checkEvery: '1s', settleAfterMitigation: '1s' },
    });
    dev = await startDevWorker(config, { SLACK_BOT_TOKEN: TOKEN });
  });
  afterAll(async () => {
    for (const h of handles) await h.terminate('suite finished').catch(() => undefined);
    await dev?.close();
    await slack.stop();
  });

  let seq = 0;
  async function open(partial: Partial<IncidentInput> = {}) {
    seq += 1;
    const handle = await dev.client.workflow.start(incidentWorkflow, {
      taskQueue: dev.taskQueue,
      workflowId: `channel-${seq}-${Date.now()}`,
      args: [
        {
          dedupKey: `c-${seq}`,
          service: 'Check.Out',
          scenario: 'health',
          severity: 'P1',
          summary: `checkout down ${seq}`,
          security: false,
          ...partial,
        },
      ],
    });
    handles.push(handle);
    return handle;
  }
  const announced = (handle: WorkflowHandle) =>
    eventually(async () => {
      const thread = (await handle.query(statusQuery)).timeline.find((e) => e.type === 'page');
      expect(thread).toBeDefined();
      const posts = slack.messages().filter((m) => String(m.text).includes(handle.workflowId));
      expect(posts.length).toBeGreaterThan(0);
      return posts;
    });

  test('P1: its own channel, paged people invited, later pages too, archived when it closes', async () => {
    const handle = await open();
    await announced(handle);
    const [id, channel] = await eventually(async () => {
      const created = [...slack.channels.entries()].find(([, c]) => c.name.endsWith('-check-out'));
      expect(created).toBeDefined();
      return created!;
    });
    expect(channel.name).toMatch(/^inc-[0-9a-f]{8}-check-out$/);
    // Everyone paged so far: the primary on-call (and management, which a P1 notifies).
    await eventually(async () => expect([...channel.members].sort()).toEqual(['U0MANAGER', 'U0PRIMARY']));
    // The announcement is in the incident's channel; the shared channel gets a pointer to it. (Waited for:
    // the invitations can come first, and on a slow machine a fresh-clone run saw them before the post.)
    await eventually(async () => {
      const posts = slack.messages();
      expect(posts.some((m) => m.channel === id && String(m.text).includes(':rotating_light:'))).toBe(true);
      expect(posts.some((m) => m.channel === '#incidents' && String(m.text).endsWith(`— in <#${id}>`))).toBe(
        true,
      );
    });

    // The announcement's link, from chat.getPermalink, is in the status (the console links to it).
    const announcement = slack
      .messages()
      .find((m) => m.channel === id && String(m.text).includes(':rotating_light:'));
    expect(announcement).toBeDefined();
    await eventually(async () =>
      expect((await handle.query(statusQuery)).slackThread).toMatch(
        new RegExp(`^${slack.url}/archives/${id}/p1700000000\\d{6}$`),
      ),
    );

    await handle.executeUpdate(escalateUpdate, { args: [{ by: 'amy', reason: 'need more hands' }] });
    await eventually(async () =>
      expect([...channel.members].sort()).toEqual(['U0MANAGER', 'U0PRIMARY', 'U0SECONDARY']),
    );

    await handle.executeUpdate(resolveUpdate, { args: [{ by: 'amy', summary: 'fixed' }] });
    await handle.result();
    expect(channel.archived).toBe(true);
    const view = await handle.query(statusQuery);
    expect(view.timeline.some((e) => e.message === `channel ${id} archived`)).toBe(true);
  });

  test('P3 stays in the shared channel; without the scope a P1 does too', async () => {
    const before = slack.channels.size;
    const p3 = await open({ severity: 'P3' });
    await eventually(async () =>
      expect(slack.messages().some((m) => String(m.text).includes(p3.workflowId))).toBe(true),
    );
    slack.scopes.delete('channels:manage');
    try {
      const p1 = await open();
      await announced(p1);
      const post = slack.messages().find((m) => String(m.text).includes(p1.workflowId));
      expect(post?.channel).toBe('#incidents');
      expect(slack.channels.size).toBe(before);
      expect(slack.requests.some((r) => r.path === '/api/conversations.create')).toBe(true);
    } finally {
      slack.scopes.add('channels:manage');
    }
  });
});
