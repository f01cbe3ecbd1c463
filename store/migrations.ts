/**
 * The store's schema as ordered migrations of plain SQL, run by `migrate.ts` on PGlite and PostgreSQL
 * alike. Plain SQL in the code, not a migration library: the two engines need no adapter, the SQL is what
 * a reviewer reads, and `tsc` carries it into dist/ with the rest. A released migration is never edited:
 * a change is a new one at the end.
 */
export interface Migration {
  id: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    id: '0001_record',
    sql: `
      CREATE TABLE incidents (
        id text PRIMARY KEY,
        workflow_id text NOT NULL,
        service text NOT NULL,
        severity text NOT NULL,
        scenario text NOT NULL,
        summary text NOT NULL,
        status text NOT NULL,
        created_at timestamptz NOT NULL,
        acknowledged_at timestamptz,
        acknowledged_by text,
        resolved_at timestamptz,
        resolved_by text,
        updated_at timestamptz NOT NULL
      );
      CREATE INDEX incidents_by_created ON incidents (created_at DESC, id DESC);
      CREATE INDEX incidents_by_status ON incidents (status, service, severity);

      -- Every timeline entry, never capped: (incident, seq) makes a retried or replayed write a no-op.
      CREATE TABLE timeline_events (
        incident_id text NOT NULL,
        seq integer NOT NULL,
        at timestamptz NOT NULL,
        type text NOT NULL,
        message text NOT NULL,
        actor text,
        PRIMARY KEY (incident_id, seq)
      );

      -- Pages, Slack notices, e-mail and status-page updates, each with its delivery result.
      CREATE TABLE notifications (
        incident_id text NOT NULL,
        key text NOT NULL,
        at timestamptz NOT NULL,
        channel text NOT NULL CHECK (channel IN ('page', 'slack', 'email', 'status-page')),
        level_name text,
        contacts text[] NOT NULL DEFAULT '{}',
        reason text,
        delivered boolean NOT NULL,
        detail text,
        PRIMARY KEY (incident_id, key)
      );

      CREATE TABLE reviews (
        incident_id text PRIMARY KEY,
        markdown text NOT NULL,
        what_happened text,
        why text,
        detection text,
        resolution text,
        prevention text,
        written_at timestamptz NOT NULL
      );

      CREATE TABLE action_items (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        incident_id text NOT NULL,
        title text NOT NULL,
        owner text,
        due_date date,
        status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'in-progress', 'done', 'wont-do')),
        link text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX action_items_by_incident ON action_items (incident_id);

      -- Who did what, from which surface, when, and the answer; a request key makes a retry one row.
      CREATE TABLE audit (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at timestamptz NOT NULL DEFAULT now(),
        actor text NOT NULL,
        surface text NOT NULL CHECK (surface IN ('cli', 'api', 'slack', 'pagerduty', 'ui', 'intake')),
        action text NOT NULL,
        incident_id text,
        answer text NOT NULL,
        request_key text UNIQUE
      );
      CREATE INDEX audit_by_incident ON audit (incident_id, at);
    `,
  },
  {
    id: '0002_api_tokens',
    sql: `
      -- Per-person API tokens: only a hash is kept (the token is shown once, when created).
      CREATE TABLE api_tokens (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        contact text NOT NULL,
        label text,
        hash text NOT NULL UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        revoked_at timestamptz
      );
    `,
  },
  {
    id: '0003_request_claims',
    sql: `
      -- Signed requests already handled (Slack signatures, PagerDuty event ids), kept for the window in
      -- which their sender's signature is still valid: every intake replica refuses a replay.
      CREATE TABLE request_claims (
        key text PRIMARY KEY,
        expires_at timestamptz NOT NULL
      );
      CREATE INDEX request_claims_expiry ON request_claims (expires_at);
    `,
  },
  {
    id: '0004_status_page',
    sql: `
      -- What customers read on the status page: updates written by responders (never alert text), and a
      -- responder's word on a service's state where the open incidents do not tell it.
      CREATE TABLE status_updates (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        incident_id text NOT NULL,
        service text NOT NULL,
        title text NOT NULL,
        status text NOT NULL CHECK (status IN ('investigating', 'identified', 'monitoring', 'resolved')),
        message text NOT NULL,
        impact text,
        eta text,
        next_update_at timestamptz,
        author text NOT NULL,
        published_at timestamptz NOT NULL,
        request_key text UNIQUE
      );
      CREATE INDEX status_updates_by_time ON status_updates (published_at DESC, id DESC);
      CREATE INDEX status_updates_by_incident ON status_updates (incident_id, published_at);
      CREATE TABLE service_status_overrides (
        service text PRIMARY KEY,
        health text NOT NULL CHECK (health IN ('operational', 'degraded', 'major_outage')),
        reason text,
        set_by text NOT NULL,
        set_at timestamptz NOT NULL
      );
    `,
  },
  {
    // A person's root-cause answers (the console, the API) outlive the review's rewrite at a later close;
    // a public update whose next one is overdue is reminded once.
    id: '0005_console',
    sql: `
      ALTER TABLE reviews ADD COLUMN edited_at timestamptz;
      ALTER TABLE status_updates ADD COLUMN reminded_at timestamptz;
    `,
  },
  {
    // The team that owned the incident's service when it opened (its escalation policy's): the list filters by it.
    id: '0006_teams',
    sql: `
      ALTER TABLE incidents ADD COLUMN team text;
      CREATE INDEX incidents_by_team ON incidents (team, created_at DESC);
    `,
  },
  {
    // Who holds the incident's roles (commander, communications, scribe): the console and reminders read it.
    id: '0007_roles',
    sql: `ALTER TABLE incidents ADD COLUMN roles jsonb;`,
  },
];
