/**
 * Local HTTP servers that follow Slack's Web API and PagerDuty's Events API v2 contracts closely enough for
 * the real clients: same paths, auth, bodies, answers, 429 with Retry-After and 5xx on demand.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse as parseQuery } from 'node:querystring';

export interface RecordedRequest {
  at: number;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: Record<string, unknown>;
}

export interface ScriptedFailure {
  status: number;
  retryAfter?: number;
  body?: unknown;
}

abstract class FakeServer {
  readonly requests: RecordedRequest[] = [];
  /** Failures answered, in order, before normal answers resume. */
  readonly failures: ScriptedFailure[] = [];
  /** An outage: while set, every request gets these answers in turn, round and round. */
  outage: ScriptedFailure[] | null = null;
  /** A slow upstream: each answer waits this long after the request arrived. */
  latencyMs = 0;
  /** Requests whose client hung up before the answer (an aborted call). */
  abandoned = 0;
  private server = http.createServer((req, res) => void this.receive(req, res));
  url = '';

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private async receive(req: http.IncomingMessage, res: http.ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const type = req.headers['content-type'] ?? '';
    let body: Record<string, unknown> = {};
    try {
      body = type.includes('json') ? JSON.parse(raw || '{}') : (parseQuery(raw) as Record<string, unknown>);
    } catch {
      return this.send(res, 400, { error: 'invalid_json' });
    }
    this.requests.push({ at: Date.now(), path: req.url ?? '', headers: req.headers, body });
    if (this.latencyMs > 0) {
      await new Promise((r) => setTimeout(r, this.latencyMs));
      if (res.destroyed || req.socket.destroyed) {
        this.abandoned += 1;
        return;
      }
    }
    const failure =
      this.failures.shift() ??
      (this.outage?.length ? this.outage[this.requests.length % this.outage.length] : undefined);
    if (failure) {
      if (failure.retryAfter !== undefined) res.setHeader('retry-after', String(failure.retryAfter));
      return this.send(res, failure.status, failure.body ?? { error: 'scripted failure' });
    }
    const [status, answer] = this.answer(req.url ?? '', req.headers, body);
    this.send(res, status, answer);
  }

  private send(res: http.ServerResponse, status: number, body: unknown) {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  protected abstract answer(
    path: string,
    headers: http.IncomingHttpHeaders,
    body: Record<string, unknown>,
  ): [number, unknown];
}

/**
 * Slack Web API: `POST /api/chat.postMessage` (`{ok, channel, ts}`), `chat.getPermalink` (`{ok, channel,
 * permalink}`) and `conversations.create | invite | archive`,
 * bearer token, form or JSON body, `{ok: false, error}` as Slack answers refusals (missing_scope, name_taken, …).
 */
export class FakeSlack extends FakeServer {
  constructor(readonly token: string) {
    super();
  }
  private counter = 0;
  get apiUrl(): string {
    return `${this.url}/api/`;
  }
  messages(): Record<string, unknown>[] {
    return this.requests.filter((r) => r.path === '/api/chat.postMessage').map((r) => r.body);
  }
  protected answer(
    path: string,
    headers: http.IncomingHttpHeaders,
    body: Record<string, unknown>,
  ): [number, unknown] {
    if (headers.authorization !== `Bearer ${this.token}`) return [200, { ok: false, error: 'invalid_auth' }];
    const method = path.replace(/^\/api\//, '');
    if (method.startsWith('conversations.')) return this.conversations(method, body);
    if (method === 'chat.getPermalink') {
      if (!body.channel || !body.message_ts) return [200, { ok: false, error: 'invalid_arguments' }];
      const p = `p${String(body.message_ts).replace('.', '')}`;
      return [
        200,
        { ok: true, channel: body.channel, permalink: `${this.url}/archives/${String(body.channel)}/${p}` },
      ];
    }
    if (method !== 'chat.postMessage') return [200, { ok: false, error: 'unknown_method' }];
    if (!body.channel) return [200, { ok: false, error: 'channel_not_found' }];
    if (!body.text && !body.blocks) return [200, { ok: false, error: 'no_text' }];
    const own = this.channels.get(String(body.channel));
    if (own?.archived) return [200, { ok: false, error: 'is_archived' }];
    this.counter += 1;
    const ts = `1700000000.${String(this.counter).padStart(6, '0')}`;
    return [
      200,
      { ok: true, channel: own ? body.channel : 'C0INCIDENTS', ts, message: { text: body.text, ts } },
    ];
  }

  /** The bot's OAuth scopes; without channels:manage, conversations.create answers missing_scope. */
  readonly scopes = new Set(['chat:write', 'channels:manage', 'channels:write.invites']);
  /** Channels created through the API, by id. */
  readonly channels = new Map<string, { name: string; members: Set<string>; archived: boolean }>();

  private conversations(method: string, body: Record<string, unknown>): [number, unknown] {
    const needs = (scope: string): [number, unknown] | null =>
      this.scopes.has(scope) ? null : [200, { ok: false, error: 'missing_scope', needed: scope }];
    const channel = this.channels.get(String(body.channel ?? ''));
    switch (method) {
      case 'conversations.create': {
        const refused = needs('channels:manage');
        if (refused) return refused;
        const name = String(body.name ?? '');
        if (!/^[a-z0-9_-]{1,80}$/.test(name)) return [200, { ok: false, error: 'invalid_name_specials' }];
        if ([...this.channels.values()].some((c) => c.name === name))
          return [200, { ok: false, error: 'name_taken' }];
        const id = `C0${String(this.channels.size + 1).padStart(8, '0')}`;
        this.channels.set(id, { name, members: new Set(), archived: false });
        return [200, { ok: true, channel: { id, name, is_channel: true } }];
      }
      case 'conversations.invite': {
        const refused = needs('channels:write.invites');
        if (refused) return refused;
        if (!channel) return [200, { ok: false, error: 'channel_not_found' }];
        if (channel.archived) return [200, { ok: false, error: 'is_archived' }];
        const users = String(body.users ?? '')
          .split(',')
          .filter(Boolean);
        if (users.every((u) => channel.members.has(u)))
          return [200, { ok: false, error: 'already_in_channel' }];
        users.forEach((u) => channel.members.add(u));
        return [200, { ok: true, channel: { id: body.channel } }];
      }
      case 'conversations.archive': {
        const refused = needs('channels:manage');
        if (refused) return refused;
        if (!channel) return [200, { ok: false, error: 'channel_not_found' }];
        if (channel.archived) return [200, { ok: false, error: 'already_archived' }];
        channel.archived = true;
        return [200, { ok: true }];
      }
      default:
        return [200, { ok: false, error: 'unknown_method' }];
    }
  }
}

const PD_SEVERITIES = ['critical', 'error', 'warning', 'info'];

/**
 * PagerDuty Events API v2: `POST /v2/enqueue`, 202 `{status, message, dedup_key}`, 400 for invalid events.
 * And of the REST API, List Incidents by `incident_key` (`GET /incidents`, `Authorization: Token token=…`,
 * 401 otherwise): the incident each open alert became, with its `html_url` in the web app.
 */
export class FakePagerDuty extends FakeServer {
  /** The REST API token this fake accepts. */
  readonly restToken = 'pd-rest-token-for-tests-0000';
  /** Where PagerDuty's web app shows an incident (an address of the example domain). */
  static readonly WEB = 'https://acme.pagerduty.example/incidents/';
  /** Routing keys this fake rejects with 400 (as PagerDuty does for an unknown integration). */
  readonly invalidKeys = new Set<string>();
  /**
   * Alerts by routing key and dedup key, as PagerDuty keeps them: a trigger whose dedup key names an
   * alert that is still open (triggered or acknowledged) is folded into it and notifies nobody; only a
   * trigger that opens a new alert notifies the people on call.
   */
  readonly alerts = new Map<
    string,
    { status: 'triggered' | 'acknowledged' | 'resolved'; notified: number }
  >();
  /** How many times people were actually notified, per routing key. */
  notifications(routingKey: string): number {
    let count = 0;
    for (const [key, alert] of this.alerts) if (key.startsWith(`${routingKey} `)) count += alert.notified;
    return count;
  }
  get eventsUrl(): string {
    return `${this.url}/v2/enqueue`;
  }
  events(): Record<string, unknown>[] {
    return this.requests.map((r) => r.body);
  }
  protected answer(
    path: string,
    _headers: http.IncomingHttpHeaders,
    e: Record<string, unknown>,
  ): [number, unknown] {
    const invalid = (errors: string[]) =>
      [400, { status: 'invalid event', message: 'Event object is invalid', errors }] as [number, unknown];
    if (path.startsWith('/incidents?')) return this.listIncidents(path, _headers);
    if (path !== '/v2/enqueue') return [404, { status: 'not found' }];
    if (typeof e.routing_key !== 'string' || !e.routing_key)
      return invalid(["'routing_key' is missing or blank"]);
    if (this.invalidKeys.has(e.routing_key)) return invalid(["'routing_key' is invalid"]);
    if (!['trigger', 'acknowledge', 'resolve'].includes(String(e.event_action)))
      return invalid(["'event_action' is invalid"]);
    if (e.event_action !== 'trigger' && !e.dedup_key)
      return invalid(["'dedup_key' is required for acknowledge and resolve"]);
    if (e.event_action === 'trigger') {
      const p = e.payload as Record<string, unknown> | undefined;
      if (!p?.summary || !p.source) return invalid(["'payload.summary' and 'payload.source' are required"]);
      if (!PD_SEVERITIES.includes(String(p.severity))) return invalid(["'payload.severity' is invalid"]);
    }
    const key = `${e.routing_key} ${String(e.dedup_key ?? '')}`;
    const alert = this.alerts.get(key);
    if (e.event_action === 'trigger') {
      if (!alert || alert.status === 'resolved')
        this.alerts.set(key, { status: 'triggered', notified: (alert?.notified ?? 0) + 1 });
    } else if (alert && alert.status !== 'resolved') {
      alert.status = e.event_action === 'acknowledge' ? 'acknowledged' : 'resolved';
    }
    return [202, { status: 'success', message: 'Event processed', dedup_key: e.dedup_key }];
  }

  private listIncidents(path: string, headers: http.IncomingHttpHeaders): [number, unknown] {
    if (headers.authorization !== `Token token=${this.restToken}`)
      return [401, { error: { message: 'Authentication failed', code: 2006 } }];
    const key = new URL(path, 'http://fake').searchParams.get('incident_key') ?? '';
    const incidents = [...this.alerts.entries()]
      .map(([k, alert], i) => ({ k, alert, id: `PINC${String(i + 1).padStart(4, '0')}` }))
      .filter(({ k }) => key && k.endsWith(` ${key}`))
      .map(({ alert, id }) => ({
        id,
        type: 'incident',
        incident_key: key,
        status: alert.status,
        html_url: `${FakePagerDuty.WEB}${id}`,
      }));
    return [200, { incidents, limit: 25, offset: 0, more: false }];
  }
}

/** A ticket system or status page: records JSON posts, answers 201 with an id. */
export class FakeJsonSink extends FakeServer {
  protected answer(): [number, unknown] {
    return [201, { id: this.requests.length }];
  }
}
