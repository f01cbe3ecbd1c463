/**
 * Adding a responder and naming incident roles (engine revision 7) from each surface, on the dev server with three teams: Slack's
 * `/incident page <id> @db`, the API's `POST /incidents/{id}/page`, and the CLI's `incident page --team`. Each
 * answer says what happens, and the incident pages the target at once as an added responder.
 */
import type { FastifyInstance } from 'fastify';
import { incidentWorkflow } from '../../workflows/incident';
import { buildApiServer } from '../../intake/api/server';
import { incidentWorkflowId } from '../../intake/incident-id';
import { statusQuery } from '../../domain/messages';
import { RESPONDER_LEVEL } from '../../domain/responders';
import { openStore, type SqlClient } from '../../store';
import { testConfig, withoutIntakeLimits } from '../../scripts/testbed/config';
import { eventually } from '../../scripts/testbed/eventually';
import { describeWith, serviceValue } from '../../scripts/testbed/services';
import { runCli } from '../support/cli-process';
import { freshPostgres } from '../support/fresh-postgres';
import { THREE_TEAMS } from '../support/team-config';
import { slackSigned, unique, webhookIntake } from '../support/webhooks';

describeWith(
  ['temporal', 'postgres'],
  'adding a responder and naming roles from Slack, the API and the CLI',
  () => {
    const config = withoutIntakeLimits(testConfig({ ...THREE_TEAMS, engine: { revision: 7 } }));
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
  },
);
