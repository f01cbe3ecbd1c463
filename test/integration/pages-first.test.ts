/**
 * Pages first: the Slack lane runs on a task queue of its own that Temporal paces for all workers, so a
 * storm's chatter waits there instead of in front of the pages.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { incidentWorkflow } from '../../workflows/incident';
import { RELEASE_BASELINE } from '../../workflows/incident/patches';
import { statusQuery } from '../../domain/messages';
import { chatTaskQueue } from '../../domain/task-queues';
import { testConfig } from '../../scripts/testbed/config';
import { startDevWorker, type DevWorker } from '../support/dev-server';
import { eventually } from '../../scripts/testbed/eventually';
import { FakePagerDuty, FakeSlack } from '../support/fake-saas';
import { EventType, historyEvents, scheduledEvents, type HistoryEvent } from '../../scripts/testbed/history';
import { describeWith } from '../../scripts/testbed/services';

const SECRETS = {
  SLACK_BOT_TOKEN: 'xoxb-test-0000-pages-first-token',
  PD_ROUTING_KEY_PRIMARY: 'R0PAGESFIRSTROUTINGKEY0000000001',
};
// One Slack call every 20 s, all workers together: slow enough that the lane visibly queues.
const SLACK_CALLS_PER_SECOND = 0.05;
const INCIDENTS = 6;

describeWith(['temporal'], 'pages first: the Slack lane on its own paced task queue', () => {
  let dev: DevWorker;
  const slack = new FakeSlack(SECRETS.SLACK_BOT_TOKEN);
  const pd = new FakePagerDuty();
  const handles: WorkflowHandle[] = [];

  beforeAll(async () => {
    await Promise.all([slack.start(), pd.start()]);
    dev = await startDevWorker(
      testConfig({
        slack: { apiUrl: slack.apiUrl, maxCallsPerSecond: SLACK_CALLS_PER_SECOND },
        pagerduty: { eventsUrl: pd.eventsUrl },
      }),
      SECRETS,
    );
  });
  afterAll(async () => {
    for (const h of handles) await h.terminate('suite finished').catch(() => undefined);
    await dev?.close();
    await Promise.all([slack.stop(), pd.stop()]);
  });

  test('every incident pages while their announcements still wait in the paced Slack lane', async () => {
    const run = Date.now();
    for (let i = 0; i < INCIDENTS; i++)
      handles.push(
        await dev.client.workflow.start(incidentWorkflow, {
          taskQueue: dev.taskQueue,
          workflowId: `pages-first-${i}-${run}`,
          args: [
            {
              dedupKey: `pages-first-${i}-${run}`,
              service: 'checkout',
              scenario: 'health',
              severity: 'P1',
              summary: `pages first ${i}`,
              security: false,
            },
          ],
        }),
      );
    // Every incident has paged PagerDuty...
    const views = await eventually(async () => {
      const all = await Promise.all(handles.map((h) => h.query(statusQuery)));
      for (const v of all) expect(v.paged.find((p) => p.level === 0)?.delivered).toBe(true);
      return all;
    }, 60_000);
    for (const v of views)
      expect(pd.events().filter((e) => String(e.dedup_key).startsWith(`${v.incidentId}/page-`))).toHaveLength(
        1,
      );
    // ...while the Slack lane has let at most a call or two through: the rest are queued on its task queue.
    expect(slack.messages().length).toBeLessThan(INCIDENTS);

    // Each page went to the workflows' task queue, ahead of the incident's first Slack call, and every
    // Slack call of the incident went to the lane's own queue.
    const scheduled = (events: HistoryEvent[], name: string) =>
      scheduledEvents(events, name).map((e) => ({
        id: Number(e.eventId),
        queue: e.activityTaskScheduledEventAttributes?.taskQueue?.name,
      }));
    for (const handle of handles)
      await eventually(async () => {
        const events = await historyEvents(handle);
        const [page] = scheduled(events, 'pageContacts');
        expect(page.queue).toBe(dev.taskQueue);
        const announcements = scheduled(events, 'announceIncident');
        expect(announcements.map((a) => a.queue)).toEqual([chatTaskQueue(dev.taskQueue)]);
        expect(page.id).toBeLessThan(announcements[0].id);
      });

    // Temporal holds the pace: the lane's pollers ask for it, and its backlog is there to see.
    const description = await dev.client.workflowService.describeTaskQueue({
      namespace: 'default',
      taskQueue: { name: chatTaskQueue(dev.taskQueue) },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
    });
    const rates = (description.pollers ?? []).map((p) => p.ratePerSecond);
    expect(rates.length).toBeGreaterThan(0);
    for (const rate of rates) expect(rate).toBeCloseTo(SLACK_CALLS_PER_SECOND, 5);
  });

  test('a new incident asks one patch, the release baseline: one marker and one version upsert', async () => {
    expect(handles).toHaveLength(INCIDENTS);
    for (const handle of handles) {
      const events = await historyEvents(handle);
      const patchIds = events
        .filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch')
        .map((e) => {
          const [payload] = e.markerRecordedEventAttributes?.details?.['patch-data']?.payloads ?? [];
          return (JSON.parse(Buffer.from(payload?.data ?? []).toString('utf8')) as { id: string }).id;
        });
      expect(patchIds).toEqual([RELEASE_BASELINE]);
      const versionUpserts = events.filter(
        (e) =>
          e.eventType === EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES &&
          'TemporalChangeVersion' in
            (e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {}),
      );
      expect(versionUpserts).toHaveLength(1);
      // Both come before the page, in the incident's first workflow task.
      const [page] = scheduledEvents(events, 'pageContacts');
      expect(Number(versionUpserts[0].eventId)).toBeLessThan(Number(page?.eventId));
    }
  });
});
