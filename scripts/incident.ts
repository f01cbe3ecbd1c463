/**
 * Responder CLI: `npm run incident -- list | show <id> | ack <id> | resolve <id> [summary] | note <id> "text"`
 * | escalate <id> [reason] | severity <id> <P1|P2|P3> | approve <id> <step> | reject <id> <step> [reason]
 * | declare <service> <P1|P2|P3> "summary" | report [--since 30d]`.
 * Exit codes: 0 done, 1 incident not found, closed, or the command refused (the reason is printed),
 * 2 usage error, 3 Temporal unreachable.
 */
import os from 'node:os';
import { WorkflowNotFoundError } from '@temporalio/common';
import { isGrpcDeadlineError } from '@temporalio/client';
import { workflowUiLink } from '../config';
import { temporalTarget } from '../config/temporal-client';
import { sendCommand } from '../intake/commands';
import { declareIncident, parseDeclare, TASK_QUEUE } from '../intake/open-incident';
import { parseDuration } from '../config/duration';
import { incidentReport, reportTables } from './incident-report';
import type { CommandName } from '../workflows/incident/commands';
import { statusQuery } from '../domain/messages';
import { terminalText } from '../domain/text';
import type { IncidentStatusView } from '../domain/types';
import { clientOf, connectOrSay, table, withTemporalClient } from './cli-support';

export const EXIT = { ok: 0, notFound: 1, usage: 2, unreachable: 3, timedOut: 5 } as const;

/** How long an incident has to answer a query or a command (INCIDENT_TIMEOUT_SECONDS, default 15). */
function answerTimeoutMs(): number {
  const seconds = Number(process.env.INCIDENT_TIMEOUT_SECONDS ?? 15);
  return (Number.isFinite(seconds) && seconds > 0 ? seconds : 15) * 1000;
}

/** Where a person sees the incident's workflow, its pending task and its failures. */
function uiLink(workflowId: string): string {
  return workflowUiLink(null, temporalTarget().namespace, workflowId);
}

const USAGE = `usage: npm run incident -- <command>
  list                         open incidents
  show <id>                    one incident with its timeline
  ack <id> [--by name]         acknowledge (stops escalation)
  resolve <id> [summary] [--by name]
  note <id> "text" [--by name]
  escalate <id> [reason] [--by name]   page the next level now
  severity <id> <P1|P2|P3> [--by name]
  approve <id> <step> [--by name]      approve a proposed runbook step
  reject <id> <step> [reason] [--by name]
  declare <service> <P1|P2|P3> "summary" [--by name]   open an incident without an alert
  report [--since 30d]         per service and severity: incidents, MTTA, MTTR; pages per person
<id> is the workflow id (incident-…) or the incident id (incident-…-xxxxxxxx).
Exit codes: 0 done, 1 refused or not found, 2 usage, 3 Temporal unreachable, 5 the incident did not answer
within INCIDENT_TIMEOUT_SECONDS (default 15).`;

function workflowIdOf(id: string): string {
  const match = /^(incident-[0-9a-f]{20})-[0-9a-f]{8}$/.exec(id);
  return match ? match[1] : id;
}

/** What an incident says, as a terminal shows it: no escape sequence from an alert reaches the terminal. */
export function describeView(v: IncidentStatusView): string {
  const t = terminalText;
  const lines = [
    `${t(v.incidentId, 100)}  [${t(v.severity, 10)}] ${t(v.service, 200)}  ${t(v.status).toUpperCase()}`,
    `  summary:       ${t(v.summary)}`,
    `  scenario:      ${t(v.scenario, 50)}`,
    `  opened:        ${v.createdAt}`,
    `  acknowledged:  ${v.acknowledgedAt ? `${v.acknowledgedAt} by ${t(v.acknowledgedBy, 200)}` : 'no'}`,
    `  next escalation: ${v.nextEscalationAt ?? (v.ladderExhausted ? t(v.ladderExhausted) : '-')}`,
    `  paged:         ${v.paged.map((p) => `${t(p.levelName, 100)} (${p.at.slice(11, 19)})`).join(', ') || 'nobody'}`,
    '  timeline:',
    ...v.timeline.map(
      (e) =>
        `    ${e.at.slice(11, 19)}  ${t(e.type, 20).padEnd(13)} ${t(e.message)}${e.actor ? ` (${t(e.actor, 200)})` : ''}`,
    ),
  ];
  return lines.join('\n');
}

/** A CLI command and its words → the incident command and its arguments. */
function commandOf(command: string, by: string, rest: string[]): [CommandName, Record<string, unknown>] {
  const words = rest.join(' ');
  switch (command) {
    case 'ack':
      return ['acknowledge', { by }];
    case 'resolve':
      return ['resolve', { by, ...(words ? { summary: words } : {}) }];
    case 'escalate':
      return ['escalate', { by, ...(words ? { reason: words } : {}) }];
    case 'severity':
      return ['setSeverity', { by, severity: rest[0] }];
    case 'approve':
      return ['approve', { by, step: rest[0] }];
    case 'reject':
      return [
        'reject',
        { by, step: rest[0], ...(rest.length > 1 ? { reason: rest.slice(1).join(' ') } : {}) },
      ];
    default:
      return ['addNote', { by, text: words }];
  }
}

/** `declare <service> <severity> summary…`: validated like an alert, then opened in Temporal. */
/** `report [--since 30d]`: every incident started since then (open or closed), summarised. */
async function report(args: string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const i = args.indexOf('--since');
  const sinceMs = parseDuration(i >= 0 ? (args[i + 1] ?? '') : '30d');
  if (sinceMs === undefined || args.length !== (i >= 0 ? 2 : 0)) {
    err(`--since: a duration like 30d or 12h\n${USAGE}`);
    return EXIT.usage;
  }
  return withTemporalClient(err, async (client, connection) => {
    const from = new Date(Date.now() - sinceMs).toISOString();
    const views = [];
    const unreadable: string[] = [];
    // One row per incident: the run that holds it now (earlier runs continued as new into it). Its status
    // comes from its own query, which a worker on its task queue answers.
    for await (const wf of client.workflow.list({
      query: `WorkflowType = 'incidentWorkflow' AND TaskQueue = '${TASK_QUEUE}' AND StartTime >= '${from}' AND ExecutionStatus != 'ContinuedAsNew'`,
    })) {
      try {
        const handle = client.workflow.getHandle(wf.workflowId, wf.runId);
        views.push(await connection.withDeadline(Date.now() + 10_000, () => handle.query(statusQuery)));
      } catch {
        unreadable.push(wf.workflowId);
      }
    }
    const [byService, byPerson] = reportTables(incidentReport(views));
    out(`${views.length} incidents since ${from} on task queue ${TASK_QUEUE}`);
    if (unreadable.length)
      err(
        `${unreadable.length} could not be read (is a worker running?): ${unreadable.slice(0, 5).join(', ')}`,
      );
    out(table(byService, 100));
    out('');
    out(table(byPerson, 100));
    return EXIT.ok;
  });
}

async function declare(
  service: string | undefined,
  rest: string[],
  by: string,
  out: (s: string) => void,
  err: (s: string) => void,
): Promise<number> {
  const declared = parseDeclare(['declare', service ?? '', ...rest].join(' '));
  if (typeof declared === 'string') {
    err(declared);
    return EXIT.usage;
  }
  return withTemporalClient(err, async (client) => {
    const opened = await declareIncident(client, { ...declared, by });
    out(
      terminalText(
        `declared ${opened.workflowId} (${declared.severity}, ${declared.service}) by ${by}: paging per the ${declared.severity} policy`,
      ),
    );
    return EXIT.ok;
  });
}

export async function runCli(
  argv: string[],
  out: (s: string) => void = console.log,
  err: (s: string) => void = console.error,
): Promise<number> {
  const args = [...argv];
  const byFlag = args.indexOf('--by');
  let by = process.env.RUNBOOKS_USER ?? os.userInfo().username;
  if (byFlag >= 0) {
    if (!args[byFlag + 1]) return (err(USAGE), EXIT.usage);
    by = args[byFlag + 1];
    args.splice(byFlag, 2);
  }
  const [command, id, ...rest] = args;
  if (command === 'declare') return declare(id, rest, by, out, err);
  if (command === 'report') return report(args.slice(1), out, err);
  const needsId = ['show', 'ack', 'resolve', 'note', 'escalate', 'severity', 'approve', 'reject'];
  const needsMore = ['note', 'severity', 'approve', 'reject'];
  if (
    !command ||
    !['list', ...needsId].includes(command) ||
    (needsId.includes(command) && !id) ||
    (needsMore.includes(command) && !rest.join(' ').trim())
  ) {
    err(USAGE);
    return EXIT.usage;
  }
  const connection = await connectOrSay(err);
  if (!connection) return EXIT.unreachable;
  const client = clientOf(connection);
  try {
    if (command === 'list') {
      const rows = [['WORKFLOW ID', 'SEV', 'STATUS', 'SERVICE', 'SCENARIO', 'STARTED']];
      for await (const wf of client.workflow.list({
        query: `WorkflowType = 'incidentWorkflow' AND ExecutionStatus = 'Running'`,
      })) {
        const sa = wf.searchAttributes as Record<string, unknown[] | undefined>;
        rows.push(
          [
            wf.workflowId,
            sa.IncidentSeverity?.[0] ?? '?',
            sa.IncidentStatus?.[0] ?? '?',
            sa.IncidentService?.[0] ?? '?',
            sa.IncidentScenario?.[0] ?? '?',
            wf.startTime.toISOString(),
          ].map(String),
        );
      }
      out(rows.length > 1 ? table(rows) : 'no open incidents');
      return EXIT.ok;
    }
    const handle = client.workflow.getHandle(workflowIdOf(id));
    // A stuck workflow answers neither a query nor an Update: every call has a deadline.
    const timeoutMs = answerTimeoutMs();
    const within = <T>(fn: () => Promise<T>) => connection.withDeadline(Date.now() + timeoutMs, fn);
    const description = await within(() => handle.describe());
    if (command === 'show') {
      out(describeView(await within(() => handle.query(statusQuery))));
      return EXIT.ok;
    }
    if (description.status.name !== 'RUNNING') {
      err(`${id} is closed (${description.status.name.toLowerCase()}); nothing to do`);
      return EXIT.notFound;
    }
    const [name, payload] = commandOf(command, by, rest);
    const outcome = await within(() => sendCommand(handle, name, payload));
    if (!outcome.accepted) {
      err(`${command} refused by ${handle.workflowId}: ${terminalText(outcome.reason)}`);
      return EXIT.notFound;
    }
    out(
      terminalText(
        `${handle.workflowId}: ${outcome.message}${outcome.status ? ` (now ${outcome.status})` : ''}`,
      ),
    );
    return EXIT.ok;
  } catch (e) {
    if (e instanceof WorkflowNotFoundError) {
      err(`no incident ${id}`);
      return EXIT.notFound;
    }
    if (isGrpcDeadlineError(e) || isGrpcDeadlineError((e as Error).cause)) {
      const seconds = answerTimeoutMs() / 1000;
      err(
        `incident ${id} did not answer within ${seconds} s; its workflow may be stuck (a failing workflow task): ${uiLink(workflowIdOf(id))}`,
      );
      return EXIT.timedOut;
    }
    err(`Temporal error: ${(e as Error).message}`);
    return EXIT.unreachable;
  } finally {
    await connection.close();
  }
}

if (require.main === module) {
  runCli(process.argv.slice(2)).then((code) => process.exit(code));
}
