/**
 * Adding a responder and naming incident roles (engine revision 7), merging and the review meeting (8) from each
 * surface, on the dev server with three teams: Slack's `/incident page <id> @db`, the API's
 * `POST /incidents/{id}/page`, and the CLI's `incident page --team`; Slack's `/incident merge`; the API's
 * review meeting. Each answer says what happens, and the incident does it.
 */
import type { FastifyInstance } from 'fastify';
import { incidentWorkflow } from '../../workflows/incident';
import { buildApiServer } from '../../intake/api/server';
import { incidentWorkflowId } from '../../intake/incident-id';
import { statusQuery } from '../../domain/messages';
import { RESPONDER_LEVEL } from '../../domain/responders';
import { auditOf, openStore, type SqlClient } from '../../store';
import { testConfig, withoutIntakeLimits } from '../../scripts/testbed/config';
import { eventually } from '../../scripts/testbed/eventually';
import { describeWith, serviceValue } from '../../scripts/testbed/services';
import { runCli } from '../support/cli-process';
import { freshPostgres } from '../support/fresh-postgres';
import { THREE_TEAMS } from '../support/team-config';
import { slackSigned, unique, webhookIntake } from '../support/webhooks';

describeWith(
  ['temporal', 'postgres'],
  'adding a responder, naming roles, merging and confirming the review meeting from Slack, the API and the CLI',
  () => {
    // Engine revision 8 (the default): responders, roles, merge and the review meeting.
    const config = withoutIntakeLimits(testConfig({ ...THREE_TEAMS, engine: { revision: 8 } }));
    const t = webhookIntake(config);
    let db: SqlClient;
    let api: FastifyInstance;
    beforeAll(async () => {
      db = await openStore(await freshPostgres('responders_surfaces'));
      api = await buildApiServer({
        db,
        config,
        version: 'test',
        temporal: { client: t.dev.client, timeoutMs: 10_000, taskQueue: t.dev.taskQueue },
      });
      await api.listen({ host: '127.0.0.1', port: 0 });
    });
    afterAll(async () => {
      await api?.close();
      await db?.close();
    });

    const open = () =>
      t.dev.client.workflow.start(incidentWorkflow, {
        taskQueue: t.dev.taskQueue,
        workflowId: incidentWorkflowId(`responders-${unique()}`),
        args: [
          {
            dedupKey: `responders-${unique()}`,
            service: 'checkout',
            scenario: 'health',
            severity: 'P2',
            summary: 'checkout is slow',
            security: false,
          },
        ],
      });

    /** POSTs to the API as this machine: the status and the answer. */
    const apiPost = async (path: string, body: object) => {
      const { port } = api.server.address() as { port: number };
      const res = await fetch(`http://127.0.0.1:${port}/api/v1${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Record<string, string> };
    };

    /** GETs from the API as this machine: the status and the answer. */
    const apiGet = async (path: string) => {
      const { port } = api.server.address() as { port: number };
      const res = await fetch(`http://127.0.0.1:${port}/api/v1${path}`);
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };

    /** `/incident <text>` from Slack as the primary on-call (Carol), signed. */
    const slackCommand = (text: string) => {
      const body = new URLSearchParams({
        command: '/incident',
        text,
        user_id: 'U0PRIMARY',
        user_name: 'carol',
      }).toString();
      return t.intake.post('/slack/commands', body, slackSigned(body));
    };

    /** `durable-runbooks incident …` as cli-user, straight to Temporal. */
    const incidentCli = (args: string[]) =>
      runCli(['incident', ...args], {
        TEMPORAL_ADDRESS: serviceValue('temporal'),
        RUNBOOKS_USER: 'cli-user',
        INCIDENT_TIMEOUT_SECONDS: '5',
      });

    /** The added responders' pages, once there are `count`: "levelName: people". */
    const responderPages = (workflowId: string, count: number) =>
      eventually(async () => {
        const view = await t.dev.client.workflow.getHandle(workflowId).query(statusQuery);
        const pages = view.paged.filter((p) => p.level === RESPONDER_LEVEL);
        expect(pages.length).toBeGreaterThanOrEqual(count);
        return { pages: pages.map((p) => `${p.levelName}: ${p.contacts.join(', ')}`), view };
      });

    test('Slack: /incident page <id> @db pages the DB team; bad text and unknown names are told why', async () => {
      const handle = await open();
      const { incidentId } = await handle.query(statusQuery);
      const ok = await slackCommand(`page ${incidentId} @db`);
      expect(ok.status).toBe(200);
      expect(ok.data).toEqual({
        response_type: 'ephemeral',
        text: `${handle.workflowId}: paging team db until someone from it acknowledges`,
      });
      const { pages, view } = await responderPages(handle.workflowId, 1);
      expect(pages).toEqual(['schedule db: DB on-call']);
      expect(view.responders).toEqual([
        expect.objectContaining({ requestedBy: 'Primary on-call (slack:U0PRIMARY)', label: 'team db' }),
      ]);
      for (const [text, reply] of [
        ['page @db', 'name the incident (its id starts with "incident-").'],
        [`page ${incidentId} @nobody`, 'no team, contact or schedule is named "nobody".'],
        // Another order: the same text again within the second would be the same signed request, a replay.
        [`page @db ${incidentId}`, 'Not done: team db is already being paged (asked by Primary on-call'],
      ]) {
        const res = await slackCommand(text);
        expect([text, res.status, res.data.response_type]).toEqual([text, 200, 'ephemeral']);
        expect(res.data.text.slice(0, reply.length)).toBe(reply);
      }
      await handle.terminate();
    });

    test('the API and the CLI: a schedule and a person, answered; an unknown one named by its field', async () => {
      const handle = await open();
      const post = (body: object) => apiPost(`/incidents/${handle.workflowId}/page`, body);
      expect(await post({ schedule: 'db' })).toEqual({
        status: 200,
        body: {
          message: 'paging schedule db until someone from it acknowledges',
          status: 'triggered',
        },
      });
      expect(await post({ team: 'payments' })).toEqual({
        status: 422,
        body: { error: 'team: no team "payments" is configured' },
      });
      const cli = await incidentCli(['page', handle.workflowId, '--person', 'sec-lead']);
      expect(cli).toMatchObject({
        code: 0,
        stdout: expect.stringContaining(
          `${handle.workflowId}: paging sec-lead until someone from it acknowledges (now triggered)`,
        ),
      });
      const { pages, view } = await responderPages(handle.workflowId, 2);
      expect(pages).toEqual(['schedule db: DB on-call', 'Security lead: Security lead']);
      expect(view.responders?.map((r) => [r.requestedBy, r.label])).toEqual([
        ['api (this machine)', 'schedule db'],
        ['cli-user', 'Security lead'],
      ]);
      await handle.terminate();
    });

    test('roles: Slack names the commander by mention, the API the scribe as "me", the CLI the communications lead', async () => {
      const handle = await open();
      const { incidentId } = await handle.query(statusQuery);
      const slack = await slackCommand(`role ${incidentId} commander <@U0SECONDARY|sam>`);
      expect(slack.data).toEqual({
        response_type: 'ephemeral',
        text: `${handle.workflowId}: Secondary on-call is now the incident commander`,
      });
      const role = (body: object) => apiPost(`/incidents/${handle.workflowId}/role`, body);
      expect(await role({ role: 'scribe', person: 'me' })).toEqual({
        status: 200,
        body: { message: 'api (this machine) is now the scribe', status: 'triggered' },
      });
      expect(await role({ role: 'captain', person: 'me' })).toMatchObject({
        status: 422,
        body: { error: expect.stringMatching(/role/) },
      });
      expect(await role({ role: 'scribe' })).toEqual({
        status: 422,
        body: { error: 'person: who takes the role' },
      });
      const cli = await incidentCli(['role', handle.workflowId, 'communications', 'Dana', 'Lee']);
      expect(cli).toMatchObject({
        code: 0,
        stdout: expect.stringContaining('Dana Lee is now the communications lead'),
      });
      const view = await handle.query(statusQuery);
      expect(view.roles).toEqual({
        commander: 'Secondary on-call',
        scribe: 'api (this machine)',
        communications: 'Dana Lee',
      });
      expect(view.timeline.filter((e) => e.type === 'note').map((e) => [e.message, e.actor])).toEqual([
        ['incident commander: Secondary on-call', 'Primary on-call (slack:U0PRIMARY)'],
        ['scribe: api (this machine)', 'api (this machine)'],
        ['communications lead: Dana Lee', 'cli-user'],
      ]);
      await handle.terminate();
    });

    test("reassign: the API moves it to the DB team, Slack to security, the CLI is told it is security's already", async () => {
      const handle = await open();
      const reassign = (body: object) => apiPost(`/incidents/${handle.workflowId}/reassign`, body);
      expect(await reassign({ team: 'payments' })).toEqual({
        status: 422,
        body: { error: 'team: no team "payments" is configured' },
      });
      expect(await reassign({ team: 'db' })).toEqual({
        status: 200,
        body: {
          message: 'reassigning to team db: its policy pages from its first rule',
          status: 'triggered',
        },
      });
      const moved = await eventually(async () => {
        const v = await handle.query(statusQuery);
        expect(v.paged.filter((p) => p.level === 0).map((p) => p.levelName)).toEqual([
          'schedule app',
          'schedule db',
        ]);
        return v;
      });
      expect(moved.team).toBe('db');
      const { incidentId } = moved;
      const slack = await slackCommand(`reassign ${incidentId} @security`);
      expect(slack.data.text).toBe(
        `${handle.workflowId}: reassigning to team security: its policy pages from its first rule`,
      );
      await eventually(async () => expect((await handle.query(statusQuery)).team).toBe('security'));
      const cli = await incidentCli(['reassign', handle.workflowId, 'security']);
      expect(cli).toMatchObject({
        code: 1,
        stderr: expect.stringContaining("incident is already team security's"),
      });
      await handle.terminate();
    });

    test('merge from Slack: into an open incident only; the merged one closes into the other', async () => {
      const from = await open();
      const into = await open();
      const { incidentId } = await from.query(statusQuery);
      const other = (await into.query(statusQuery)).incidentId;
      expect((await slackCommand(`merge ${incidentId}`)).data.text).toMatch(/^into: name the incident/);
      const gone = await slackCommand(`merge ${incidentId} incident-00000000000000000000`);
      expect(gone.data.text).toBe('Not done: no incident incident-00000000000000000000 to merge into.');
      const merged = await slackCommand(`merge ${incidentId} ${other}`);
      expect(merged.data.text).toBe(
        `${from.workflowId}: merging into ${other}: its alerts and this alert group go there`,
      );
      const closed = await eventually(async () => {
        const v = await from.query(statusQuery);
        expect(v.status).toBe('resolved');
        return v;
      });
      expect(closed.mergedInto).toBe(other);
      await eventually(async () => expect((await into.query(statusQuery)).mergedFrom).toEqual([incidentId]));
      // Merging into a closed incident is refused before anything is sent.
      const third = await open();
      const late = await slackCommand(`merge ${(await third.query(statusQuery)).incidentId} ${incidentId}`);
      expect(late.data.text).toBe(`Not done: ${incidentId} is resolved: merge into an open incident.`);
      await Promise.all([into.terminate(), third.terminate()]);
    });

    test('the review meeting from the API: shown once resolved, moved by a confirmation, then no longer waiting', async () => {
      const handle = await open();
      const { incidentId } = await handle.query(statusQuery);
      const meeting = () => apiGet(`/incidents/${incidentId}/review-meeting`);
      expect((await meeting()).status).toBe(404);
      expect(await apiPost(`/incidents/${incidentId}/resolve`, { summary: 'cache warmed' })).toMatchObject({
        status: 200,
      });
      const proposed = await eventually(async () => {
        const r = await meeting();
        expect(r.status).toBe(200);
        return r.body;
      }, 30_000);
      expect(proposed).toMatchObject({ incidentId, state: 'waiting', waiting: true, confirmedBy: null });
      const m = proposed.meeting as { start: string; durationMinutes: number; invitees: string[] };
      expect(m.durationMinutes).toBe(60);
      expect(m.invitees).toContain('api (this machine)');
      expect(Date.parse(m.start)).toBeGreaterThan(Date.now());
      const schedule = (body: object) => apiPost(`/incidents/${incidentId}/review-scheduled`, body);
      expect(await schedule({ when: 'soon' })).toEqual({
        status: 422,
        body: { error: 'when: expected a time such as 2026-12-08T10:00Z' },
      });
      expect(await schedule({ when: '2030-01-07T10:00Z' })).toEqual({
        status: 200,
        body: { message: `${incidentId}: review moved to 2030-01-07T10:00:00.000Z; no more reminders` },
      });
      const confirmed = await eventually(async () => {
        const r = await meeting();
        expect(r.body).toMatchObject({ state: 'confirmed', waiting: false });
        return r.body;
      }, 30_000);
      expect(confirmed.confirmedBy).toBe('api (this machine)');
      expect((confirmed.meeting as { start: string }).start).toBe('2030-01-07T10:00:00.000Z');
      expect(await schedule({})).toEqual({
        status: 409,
        body: { error: `the review of ${incidentId} is not waiting (completed); nothing to do` },
      });
      const audit = (await auditOf(db, incidentId)).filter((e) => e.action === 'review-scheduled');
      expect(audit.map((e) => e.answer)).toEqual([
        `${incidentId}: review moved to 2030-01-07T10:00:00.000Z; no more reminders`,
        `refused: the review of ${incidentId} is not waiting (completed); nothing to do`,
      ]);
    });
  },
);
