/**
 * People acting through the API (`POST /api/v1/incidents/{id}/{action}`, `POST /api/v1/incidents`) on real
 * incidents on the dev server, over a PostgreSQL store: the commands as Updates (200, a refusal 409), who the
 * caller is (this machine until someone has a token; then a token or a trusted proxy's header, else 401), the
 * responder and approver rules (403), a stuck incident (504), the audit of every answer, action items and on-call.
 */
import { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { buildApiServer } from '../../intake/api/server';
import { statusQuery } from '../../domain/messages';
import { auditOf, createToken, openStore, revokeToken, upsertIncident, type SqlClient } from '../../store';
import { testConfig } from '../../scripts/testbed/config';
import { describeWith } from '../../scripts/testbed/services';
import { eventually } from '../../scripts/testbed/eventually';
import { uniqueTaskQueue } from '../../scripts/testbed/temporal';
import { startDevWorker, startTestIncident, type DevWorker } from '../support/dev-server';
import { runCli } from '../support/cli-process';
import { freshPostgres } from '../support/fresh-postgres';

const config = testConfig({
  services: { guarded: { responders: ['tech-lead'], approvers: ['devops-manager'] } },
});

describeWith(['temporal', 'postgres'], 'people acting through the API', () => {
  let dev: DevWorker;
  let db: SqlClient;
  let databaseUrl: string;
  const servers: FastifyInstance[] = [];

  async function serve(opts: { proxies?: string[]; timeoutMs?: number; client?: Client } = {}) {
    const app = await buildApiServer({
      db,
      config: { ...config, api: { trustedProxies: opts.proxies ?? [] } },
      version: 'test',
      temporal: {
        client: opts.client ?? dev.client,
        timeoutMs: opts.timeoutMs ?? 10_000,
        taskQueue: dev.taskQueue,
      },
    });
    servers.push(app);
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    const call = async (
      method: 'GET' | 'POST' | 'PATCH',
      path: string,
      body?: unknown,
      headers: Record<string, string> = {},
    ) => {
      const res = await fetch(`${base}/api/v1${path}`, {
        method,
        headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
        body: body ? JSON.stringify(body) : undefined,
      });
      return { status: res.status, body: (await res.json()) as Record<string, string> };
    };
    return Object.assign(call, { base });
  }

  beforeAll(async () => {
    const where = await freshPostgres('api_commands');
    databaseUrl = (where as { databaseUrl: string }).databaseUrl;
    db = await openStore(where);
    dev = await startDevWorker(config);
  });
  afterAll(async () => {
    for (const app of servers) await app.close();
    await dev?.close();
    await db?.close();
  });

  test('on this machine before anyone has a token: commands are Updates, refusals 409, bad input 422', async () => {
    const call = await serve();
    const declared = await call('POST', '/incidents', {
      service: 'checkout',
      severity: 'P2',
      summary: 'declared',
    });
    expect(declared.status).toBe(201);
    const id = declared.body.workflowId;
    const handle = dev.client.workflow.getHandle(id);
    expect((await handle.query(statusQuery)).timeline[0]).toMatchObject({ actor: 'api (this machine)' });

    expect(await call('POST', `/incidents/${id}/acknowledge`, {})).toMatchObject({
      status: 200,
      body: { status: 'acknowledged' },
    });
    expect(await call('POST', `/incidents/${id}/acknowledge`, {})).toMatchObject({
      status: 409,
      body: { error: expect.stringMatching(/already acknowledged/) },
    });
    expect(await call('POST', `/incidents/${id}/note`, { text: 'looking at the <b>db</b>' })).toMatchObject({
      status: 200,
    });
    expect(await call('POST', `/incidents/${id}/note`, {})).toMatchObject({
      status: 422,
      body: { error: /^text/ },
    });
    expect((await call('POST', `/incidents/${id}/severity`, { severity: 'P0' })).status).toBe(422);
    // Snooze: minutes are required and bounded (engine revision 6, the default).
    expect(await call('POST', `/incidents/${id}/snooze`, {})).toMatchObject({
      status: 422,
      body: { error: /^minutes/ },
    });
    expect((await call('POST', `/incidents/${id}/snooze`, { minutes: 2000 })).status).toBe(422);
    expect(await call('POST', `/incidents/${id}/snooze`, { minutes: 30 })).toMatchObject({
      status: 200,
      body: { message: expect.stringMatching(/^snoozed until /), status: 'acknowledged' },
    });
    // Adding a responder: one configured target, named by its field; revision 7 (the default) runs it.
    expect(await call('POST', `/incidents/${id}/page`, {})).toMatchObject({
      status: 422,
      body: { error: 'name one of "team", "person" or "schedule"' },
    });
    expect(await call('POST', `/incidents/${id}/page`, { person: 'nobody' })).toMatchObject({
      status: 422,
      body: { error: 'person: no person "nobody" is configured' },
    });
    expect(await call('POST', `/incidents/${id}/page`, { person: 'tech-lead' })).toMatchObject({
      status: 200,
      body: { message: expect.stringMatching(/^paging .*tech-lead.* until someone from it acknowledges$/) },
    });
    expect((await call('POST', `/incidents/${id}/shout`, {})).body.error).toMatch(/^action/);
    // The person is the caller, never a field: a `by` is dropped.
    expect((await call('POST', `/incidents/${id}/note`, { text: 'signed', by: 'mallory' })).status).toBe(200);
    expect((await handle.query(statusQuery)).timeline.find((e) => e.message === 'signed')).toMatchObject({
      actor: 'api (this machine)',
    });
    // By its incident id too, as `incident list` and the timeline name it, whether the store holds it or not.
    const { incidentId } = await handle.query(statusQuery);
    expect(incidentId).not.toBe(id);
    expect((await call('POST', `/incidents/${incidentId}/note`, { text: 'by incident id' })).status).toBe(
      200,
    );
    expect((await call('POST', '/incidents/no-such-incident/acknowledge', {})).status).toBe(404);
    expect(await call('POST', `/incidents/${id}/resolve`, { summary: 'fixed' })).toMatchObject({
      status: 200,
    });
    await handle.result();
    // Its run has ended: a command is refused, not "no such incident".
    expect(await call('POST', `/incidents/${id}/acknowledge`, {})).toMatchObject({
      status: 409,
      body: { error: expect.stringMatching(/is closed \(resolved\)|already resolved/) },
    });
    const view = await handle.query(statusQuery);
    expect(view.timeline.find((e) => e.type === 'note')).toMatchObject({
      message: 'looking at the <b>db</b>',
      actor: 'api (this machine)',
    });
    // Audited, refusals and all.
    expect((await auditOf(db, view.incidentId)).map((a) => [a.action, a.answer.split(':')[0]])).toEqual([
      ['acknowledge', expect.any(String)],
      ['acknowledge', 'refused'],
      ['note', 'note added'],
      ['snooze', expect.stringMatching(/^snoozed until /)],
      ['page', 'paging tech-lead until someone from it acknowledges'],
      ['note', 'note added'],
      ['note', 'note added'],
      ['resolve', expect.any(String)],
      ['acknowledge', 'refused'],
    ]);
  });

  test('merge (engine revision 8): `into` names an open incident (422 unknown, 409 closed); the merged one closes', async () => {
    const dev8 = await startDevWorker(testConfig({ engine: { revision: 8 } }));
    try {
      const call = await serve({ client: dev8.client });
      const from = await startTestIncident(dev8.client, dev8.taskQueue, 'api-merge-from');
      const into = await startTestIncident(dev8.client, dev8.taskQueue, 'api-merge-into');
      const intoId = (await into.query(statusQuery)).incidentId;
      const id = from.workflowId;
      expect(await call('POST', `/incidents/${id}/merge`, {})).toMatchObject({
        status: 422,
        body: { error: 'into: the incident to merge into' },
      });
      expect(await call('POST', `/incidents/${id}/merge`, { into: 'nope' })).toMatchObject({
        status: 422,
        body: { error: 'into: no incident nope to merge into' },
      });
      expect(await call('POST', `/incidents/${id}/merge`, { into: into.workflowId })).toMatchObject({
        status: 200,
        body: { message: `merging into ${intoId}: its alerts and this alert group go there` },
      });
      const fromId = (await from.query(statusQuery)).incidentId;
      await eventually(async () => {
        const v = await from.query(statusQuery);
        expect([v.status, v.mergedInto]).toEqual(['resolved', intoId]);
      });
      expect(await call('POST', `/incidents/${into.workflowId}/merge`, { into: id })).toMatchObject({
        status: 409,
        body: { error: `into: ${fromId} is resolved: merge into an open incident` },
      });
    } finally {
      await dev8.close();
    }
  });

  test('once someone has a token: the person is the token, the rules apply, a revoked token is refused', async () => {
    const call = await serve();
    const { id: tokenId, token } = await createToken(db, 'tech-lead', 'test');
    const { token: other } = await createToken(db, 'primary-oncall', 'test');
    try {
      const guarded = await startTestIncident(dev.client, dev.taskQueue, 'api-guarded', {
        service: 'guarded',
      });
      const as = (t: string) => ({ authorization: `Bearer ${t}` });
      expect((await call('POST', `/incidents/${guarded.workflowId}/acknowledge`, {})).status).toBe(401);
      expect((await call('GET', '/incidents')).status).toBe(401);
      expect((await call('GET', '/incidents', undefined, as(`${token}x`))).status).toBe(401);
      // Not a responder of this service.
      expect(await call('POST', `/incidents/${guarded.workflowId}/acknowledge`, {}, as(other))).toMatchObject(
        {
          status: 403,
          body: { error: expect.stringMatching(/its responders are Tech lead/) },
        },
      );
      expect(await call('POST', `/incidents/${guarded.workflowId}/acknowledge`, {}, as(token))).toMatchObject(
        {
          status: 200,
        },
      );
      const view = await guarded.query(statusQuery);
      expect(view.acknowledgedBy).toBe('Tech lead (api:tech-lead)');
      // Approving is the approvers' (none is pending, but the rule comes first).
      expect(
        await call('POST', `/incidents/${guarded.workflowId}/approve`, { step: 'restart' }, as(token)),
      ).toMatchObject({
        status: 403,
        body: { error: expect.stringMatching(/approvers are DevOps manager/) },
      });
      await revokeToken(db, tokenId);
      expect((await call('GET', '/incidents', undefined, as(token))).status).toBe(401);
      await guarded.terminate('test finished');
    } finally {
      await revokeToken(db, tokenId);
      await db.query('UPDATE api_tokens SET revoked_at = now() WHERE revoked_at IS NULL');
    }
  });

  test('`durable-runbooks token`: create prints the token once, list shows whose it is, revoke ends it', async () => {
    const call = await serve();
    const env = { DATABASE_URL: databaseUrl };
    expect((await runCli(['token', 'create', 'nobody-here'], env)).code).toBe(2);
    const created = await runCli(['token', 'create', 'devops-manager', '--label', 'ops laptop'], env);
    expect(created.code).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(/^drb_/);
    expect(created.stderr).toMatch(/shown only now/);
    const incident = await startTestIncident(dev.client, dev.taskQueue, 'api-token-cli');
    const as = { authorization: `Bearer ${token}` };
    expect(await call('POST', `/incidents/${incident.workflowId}/acknowledge`, {}, as)).toMatchObject({
      status: 200,
    });
    expect((await incident.query(statusQuery)).acknowledgedBy).toBe('DevOps manager (api:devops-manager)');
    const listed = JSON.parse((await runCli(['token', 'list', '--json'], env)).stdout) as Array<{
      id: string;
      contact: string;
      label: string;
      lastUsedAt: string | null;
    }>;
    const mine = listed.find((t) => t.contact === 'devops-manager')!;
    expect(mine).toMatchObject({ label: 'ops laptop', lastUsedAt: expect.any(String) });
    expect(JSON.stringify(listed)).not.toContain(token);
    expect((await runCli(['token', 'revoke', mine.id], env)).code).toBe(0);
    expect((await runCli(['token', 'revoke', mine.id], env)).code).toBe(4);
    expect((await call('GET', '/incidents', undefined, as)).status).toBe(401);
    await incident.terminate('test finished');
  });

  test("the CLI acts through the API as the token's person when DURABLE_RUNBOOKS_API and a token are set", async () => {
    const call = await serve();
    const { id: tokenId, token } = await createToken(db, 'secondary-oncall', 'cli');
    const env = { DURABLE_RUNBOOKS_API: call.base, DURABLE_RUNBOOKS_TOKEN: token };
    try {
      const incident = await startTestIncident(dev.client, dev.taskQueue, 'api-cli');
      const acked = await runCli(['incident', 'ack', incident.workflowId, '--by', 'mallory'], env);
      expect(acked).toMatchObject({
        code: 0,
        stderr: expect.stringMatching(/--by is not used through the API/),
      });
      expect((await incident.query(statusQuery)).acknowledgedBy).toBe(
        'Secondary on-call (api:secondary-oncall)',
      );
      const again = await runCli(['incident', 'ack', incident.workflowId], env);
      expect(again).toMatchObject({
        code: 1,
        stderr: expect.stringMatching(/409: incident is already acknowledged/),
      });
      expect((await runCli(['incident', 'note', incident.workflowId, 'via', 'the', 'API'], env)).code).toBe(
        0,
      );
      const declared = await runCli(
        ['incident', 'declare', 'checkout', 'P3', 'declared', 'from', 'the', 'CLI'],
        env,
      );
      expect(declared).toMatchObject({ code: 0, stdout: expect.stringMatching(/^declared incident-/) });
      expect(
        (await runCli(['incident', 'ack', incident.workflowId], { DURABLE_RUNBOOKS_API: call.base })).code,
      ).toBe(2);
      const revoked = await runCli(['incident', 'resolve', incident.workflowId], {
        ...env,
        DURABLE_RUNBOOKS_TOKEN: 'drb_x',
      });
      expect(revoked).toMatchObject({ code: 1, stderr: expect.stringMatching(/401/) });
      await incident.terminate('test finished');
    } finally {
      await revokeToken(db, tokenId);
    }
  });

  test("a trusted proxy's identity header names the person; from elsewhere the header is ignored", async () => {
    const viaProxy = await serve({ proxies: ['127.0.0.1'] });
    const incident = await startTestIncident(dev.client, dev.taskQueue, 'api-proxy');
    const named = (user: string) => ({ 'x-forwarded-user': user });
    expect((await viaProxy('POST', `/incidents/${incident.workflowId}/note`, { text: 'hi' })).status).toBe(
      401,
    );
    expect((await viaProxy('GET', '/incidents', undefined, named('nobody'))).status).toBe(401);
    expect(
      await viaProxy(
        'POST',
        `/incidents/${incident.workflowId}/note`,
        { text: 'hi' },
        named('secondary-oncall'),
      ),
    ).toMatchObject({ status: 200 });
    const noted = async (text: string) =>
      (await incident.query(statusQuery)).timeline.find((e) => e.type === 'note' && e.message === text);
    expect(await noted('hi')).toMatchObject({ actor: 'Secondary on-call (api:secondary-oncall)' });
    // Not a trusted proxy: the header is not believed (and with no token yet, this machine may still call).
    const direct = await serve();
    await direct('POST', `/incidents/${incident.workflowId}/note`, { text: 'direct' }, named('tech-lead'));
    expect(await noted('direct')).toMatchObject({ actor: 'api (this machine)' });
    await incident.terminate('test finished');
  });

  test('action items: created for a stored incident, listed, changed; owners are contacts; audited', async () => {
    const call = await serve();
    const incidentId = `stored-${Date.now()}`;
    await upsertIncident(db, {
      id: incidentId,
      workflowId: incidentId,
      service: 'checkout',
      severity: 'P1',
      scenario: 'health',
      summary: 'stored incident',
      status: 'resolved',
      createdAt: new Date().toISOString(),
      acknowledgedAt: null,
      acknowledgedBy: null,
      resolvedAt: null,
      resolvedBy: null,
      updatedAt: new Date().toISOString(),
    });
    const created = await call('POST', '/action-items', {
      incidentId,
      title: 'alert on disk at 80%',
      owner: 'tech-lead',
      dueDate: '2026-12-31',
      link: 'https://tracker.example/OPS-1',
    });
    expect(created).toMatchObject({
      status: 201,
      body: { incidentId, owner: 'tech-lead', dueDate: '2026-12-31', status: 'open' },
    });
    const id = created.body.id;
    expect(await call('PATCH', `/action-items/${id}`, { status: 'done' })).toMatchObject({
      status: 200,
      body: { status: 'done', title: 'alert on disk at 80%' },
    });
    expect((await call('GET', `/action-items?incident=${incidentId}`)).body.actionItems).toEqual([
      expect.objectContaining({ id, status: 'done' }),
    ]);
    expect(
      (await call('POST', '/action-items', { incidentId, title: 'x', owner: 'mallory' })).body.error,
    ).toBe('owner: no contact "mallory" in the configuration');
    expect((await call('POST', '/action-items', { incidentId: 'nope', title: 'x' })).status).toBe(404);
    expect(
      (await call('POST', '/action-items', { incidentId, title: 'x', link: 'javascript:alert(1)' })).status,
    ).toBe(422);
    expect((await call('PATCH', `/action-items/${id}`, { status: 'finished' })).body.error).toMatch(
      /^status/,
    );
    expect((await call('PATCH', '/action-items/999999', { status: 'done' })).status).toBe(404);
    expect((await call('PATCH', `/action-items/${id}`, {})).status).toBe(422);
    expect((await auditOf(db, incidentId)).map((a) => a.action)).toEqual([
      'action-item create',
      'action-item change',
    ]);
  });

  test('on call now and next, from the schedule; an unknown schedule is a 404 naming the known ones', async () => {
    const call = await serve();
    const { body } = await call('GET', '/oncall/primary');
    expect(body).toMatchObject({ schedule: 'primary' });
    const now = body.now as unknown as { contactId: string; until: string };
    const next = body.next as unknown as { contactId: string; from: string };
    expect(['primary-oncall', 'secondary-oncall', 'tech-lead']).toContain(now.contactId);
    expect(next.from).toBe(now.until);
    expect(next.contactId).not.toBe(now.contactId);
    expect(await call('GET', '/oncall/nope')).toMatchObject({
      status: 404,
      body: { error: expect.stringMatching(/schedules: primary/) },
    });
  });

  test('an incident nobody can run answers 504, saying it may be stuck', async () => {
    const call = await serve({ timeoutMs: 2000 });
    // Its task queue has no worker: no query or Update is ever answered.
    const stuck = await startTestIncident(dev.client, uniqueTaskQueue('nobody'), 'api-stuck');
    try {
      const started = Date.now();
      const res = await call('POST', `/incidents/${stuck.workflowId}/acknowledge`, {});
      expect(res.status).toBe(504);
      expect(res.body.error).toMatch(/did not answer .*may be stuck.*page by hand/);
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      await stuck.terminate('test finished');
    }
  });
});
