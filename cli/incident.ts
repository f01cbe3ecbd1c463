/**
 * `durable-runbooks incident …` (also `npm run incident -- …`): list, show and act on incidents as a
 * responder; declare one without an alert; report MTTA/MTTR. Exit codes: `cli/exit-codes.ts`.
 */
import os from 'node:os';
import { WorkflowNotFoundError } from '@temporalio/common';
import { isGrpcDeadlineError, type Client } from '@temporalio/client';
import { workflowUiLink } from '../config';
import { temporalTarget } from '../config/temporal-client';
import { sendCommand } from '../intake/commands';
import { workflowIdOfIncident } from '../intake/incident-id';
import { apiCommand, apiTarget, postAsPerson, type ApiTarget } from './api-client';
import { apiReport, localApiReport, storeReport } from './store-report';
import { declareIncident, parseDeclare, TASK_QUEUE } from '../intake/open-incident';
import { incidentReport, reportTables } from './incident-report';
import { incidentViewsSince, sinceFlag, unreadableNotice } from './incident-views';
import { statusQuery } from '../domain/messages';
import { parseSeverity } from '../domain/policy';
import { terminalText } from '../domain/text';
import { INCIDENT_STATUSES } from '../domain/types';
import { clientOf, connectOrSay, jsonText, table, withTemporalClient } from './support';
import { commandOf, describeView, responderFlags } from './incident-words';
import { meetingTime, reviewScheduled } from './review-scheduled';
import { openIncidentId } from '../intake/merge-target';
import { flag, helpFor, parse, usageOf, UsageError, type Parsed } from './args';
import { EXIT, EXIT_CODES_HELP } from './exit-codes';

export { EXIT };

/** How long an incident has to answer a query or a command (INCIDENT_TIMEOUT_SECONDS, default 15). */
function answerTimeoutMs(): number {
  const seconds = Number(process.env.INCIDENT_TIMEOUT_SECONDS ?? 15);
  return (Number.isFinite(seconds) && seconds > 0 ? seconds : 15) * 1000;
}

/** Where a person sees the incident's workflow, its pending task and its failures. */
function uiLink(workflowId: string): string {
  return workflowUiLink(null, temporalTarget().namespace, workflowId);
}

const COMMANDS = [
  [
    'list [--service s] [--severity P1] [--status triggered] [--json]',
    'open incidents (the filters combine)',
  ],
  ['show <id> [--json]', 'one incident with its timeline'],
  ['ack <id> [--by name]', 'acknowledge (stops escalation)'],
  ['resolve <id> [summary…] [--by name]', 'resolve, with what fixed it'],
  ['note <id> <text…> [--by name]', 'add a note to the timeline'],
  ['escalate <id> [reason…] [--by name]', 'page the next level now'],
  ['severity <id> <P1|P2|P3> [--by name]', 'change the severity'],
  ['approve <id> <step> [--by name]', 'approve a proposed runbook step'],
  ['reject <id> <step> [reason…] [--by name]', 'reject a proposed runbook step'],
  [
    'snooze <id> <minutes> [--by name]',
    'acknowledged: alert the acknowledger again after that long (revision 6)',
  ],
  [
    'page <id> --team t | --person p | --schedule s [--by name]',
    'add a responder: paged on its own policy until one of it acknowledges (revision 7)',
  ],
  [
    'role <id> <commander|communications|scribe> <person…|me> [--by name]',
    'name who holds an incident role (revision 7)',
  ],
  [
    'reassign <id> <team> [--by name]',
    "move the incident to another team's policy: it pages from its first rule (revision 7)",
  ],
  [
    'merge <id> <into-id> [--by name]',
    'close the incident into another: its alerts and alert group feed that one (revision 8)',
  ],
  [
    'review-scheduled <id> [--when time] [--by name]',
    'resolved: confirm the proposed review meeting, or move it (revision 8)',
  ],
  ['declare <service> <P1|P2|P3> <summary…> [--by name]', 'open an incident without an alert'],
  [
    'report [--since 30d] [--store|--temporal] [--json]',
    'per service and severity: incidents, MTTA, MTTR, from the system of record for any period it holds (through DURABLE_RUNBOOKS_API, DATABASE_URL, --store, or the API `npm start` runs on API_PORT); --temporal, or none of them: from Temporal, with pages per person',
  ],
] as const;

export const USAGE = usageOf(
  'durable-runbooks incident',
  COMMANDS,
  `<id> is the workflow id (incident-…) or the incident id (incident-…-xxxxxxxx).
--by defaults to RUNBOOKS_USER or the login name. Temporal: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TLS_*.
A command waits INCIDENT_TIMEOUT_SECONDS (15) for the incident to answer.
${EXIT_CODES_HELP}`,
);

const FLAGS = {
  by: { type: 'string' },
  since: { type: 'string' },
  json: { type: 'boolean' },
  service: { type: 'string' },
  severity: { type: 'string' },
  status: { type: 'string' },
  store: { type: 'boolean' },
  temporal: { type: 'boolean' },
  team: { type: 'string' },
  person: { type: 'string' },
  schedule: { type: 'string' },
  when: { type: 'string' },
} as const;

/**
 * `report [--since 30d]`: every incident started since then (open or closed), summarised. From the system
 * of record wherever this CLI can reach it (the API, a PostgreSQL), which keeps incidents for as long as
 * its retention says; else from Temporal's visibility, which keeps closed runs only for the namespace's
 * retention (7 days on the cluster), and says so.
 */
async function report(args: Parsed, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const from = sinceFlag(args);
  const json = args.values.json === true;
  if (args.positionals.length > 1) throw new UsageError('report takes no arguments');
  if (args.values.store && args.values.temporal) throw new UsageError('--store or --temporal, not both');
  const api = apiTarget(process.env);
  if (typeof api === 'string') throw new UsageError(api);
  let whyNot: string | null = null;
  if (!args.values.temporal) {
    if (args.values.store) return storeReport(from, json, out, err);
    if (api) return apiReport(api, from, json, answerTimeoutMs(), out, err);
    if (process.env.DATABASE_URL?.trim()) return storeReport(from, json, out, err);
    whyNot = await localApiReport(process.env, from, json, out);
    if (whyNot === null) return EXIT.ok;
  }
  return withTemporalClient(err, async (client, connection) => {
    const listed = await incidentViewsSince(client, connection, from);
    const notice = unreadableNotice(listed);
    if (notice) err(notice);
    if (whyNot)
      err(
        `${whyNot}: from Temporal's visibility, which forgets closed incidents after the namespace's retention; ` +
          'the system of record keeps them: run `npm start` (its API), set DURABLE_RUNBOOKS_API (and a token) or DATABASE_URL, or use --store',
      );
    const { views } = listed;
    const summary = incidentReport(views);
    if (args.values.json) {
      out(jsonText({ since: from, taskQueue: TASK_QUEUE, incidents: views.length, ...summary }));
      return EXIT.ok;
    }
    const [byService, byPerson] = reportTables(summary);
    out(`${views.length} incidents since ${from} on task queue ${TASK_QUEUE}`);
    out(table(byService, 100));
    out('');
    out(table(byPerson, 100));
    return EXIT.ok;
  });
}

/** `declare <service> <severity> summary…`: validated like an alert, then opened in Temporal. */
async function declare(words: string[], by: string, out: (s: string) => void, err: (s: string) => void) {
  const declared = parseDeclare(['declare', ...words].join(' '));
  if (typeof declared === 'string') throw new UsageError(declared);
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

/** The visibility query for `list`: open incidents, narrowed by the filters (each value checked first). */
export function listQuery(args: Parsed): string {
  const clauses = [`WorkflowType = 'incidentWorkflow'`, `ExecutionStatus = 'Running'`];
  const service = flag(args, 'service');
  if (service !== undefined) {
    // Service names are configuration keys; anything else cannot match and must not reach the query.
    if (!/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,199}$/.test(service))
      throw new UsageError(
        `--service: a service name (letters, digits, . _ : / -), not ${JSON.stringify(service)}`,
      );
    clauses.push(`IncidentService = '${service}'`);
  }
  const severityText = flag(args, 'severity');
  if (severityText !== undefined) {
    const severity = parseSeverity(severityText);
    if (!severity) throw new UsageError(`--severity: P1, P2 or P3, not ${JSON.stringify(severityText)}`);
    clauses.push(`IncidentSeverity = '${severity}'`);
  }
  const status = flag(args, 'status');
  if (status !== undefined) {
    if (!(INCIDENT_STATUSES as readonly string[]).includes(status))
      throw new UsageError(`--status: one of ${INCIDENT_STATUSES.join(', ')}, not ${JSON.stringify(status)}`);
    clauses.push(`IncidentStatus = '${status}'`);
  }
  return clauses.join(' AND ');
}

async function list(client: Client, query: string, json: boolean, out: (s: string) => void): Promise<number> {
  const incidents = [];
  for await (const wf of client.workflow.list({ query })) {
    const sa = wf.searchAttributes as Record<string, unknown[] | undefined>;
    const first = (key: string) => String(sa[key]?.[0] ?? '?');
    incidents.push({
      workflowId: wf.workflowId,
      severity: first('IncidentSeverity'),
      status: first('IncidentStatus'),
      service: first('IncidentService'),
      scenario: first('IncidentScenario'),
      startedAt: wf.startTime.toISOString(),
    });
  }
  if (json) out(jsonText(incidents));
  else if (!incidents.length) out('no open incidents');
  else
    out(
      table([
        ['WORKFLOW ID', 'SEV', 'STATUS', 'SERVICE', 'SCENARIO', 'STARTED'],
        ...incidents.map((i) => [i.workflowId, i.severity, i.status, i.service, i.scenario, i.startedAt]),
      ]),
    );
  return EXIT.ok;
}

const NEEDS_ID = [
  'show',
  'ack',
  'resolve',
  'note',
  'escalate',
  'severity',
  'approve',
  'reject',
  'snooze',
  'page',
  'role',
  'reassign',
  'merge',
  'review-scheduled',
];
/** Commands that need more words after the id, and what those words are. */
const NEEDS_MORE: Record<string, string> = {
  note: 'the text',
  severity: 'P1, P2 or P3',
  approve: 'the step',
  reject: 'the step',
  snooze: 'the minutes',
  role: 'the role and who takes it',
  reassign: 'the team',
  merge: 'the incident to merge into',
};

export async function runCli(
  argv: string[],
  out: (s: string) => void = console.log,
  err: (s: string) => void = console.error,
): Promise<number> {
  try {
    return await run(argv, out, err);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    err(`${e.message}\n${USAGE}`);
    return EXIT.usage;
  }
}

async function run(argv: string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const args = parse(argv, FLAGS);
  const [command, id, ...rest] = args.positionals;
  if (args.help || command === 'help') {
    out(helpFor('incident', COMMANDS, USAGE, command === 'help' ? id : command, EXIT_CODES_HELP));
    return EXIT.ok;
  }
  const by = flag(args, 'by') ?? process.env.RUNBOOKS_USER ?? os.userInfo().username;
  if (command === 'declare') {
    const api = apiTarget(process.env);
    if (typeof api === 'string') throw new UsageError(api);
    return api ? declareThroughApi(api, args, out, err) : declare(args.positionals.slice(1), by, out, err);
  }
  if (command === 'report') return report(args, out, err);
  if (!command) throw new UsageError('a command is needed');
  if (!['list', ...NEEDS_ID].includes(command))
    throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  if (NEEDS_ID.includes(command) && !id) throw new UsageError(`${command} needs an incident id`);
  if (Object.hasOwn(NEEDS_MORE, command) && !rest.join(' ').trim())
    throw new UsageError(`${command} needs ${NEEDS_MORE[command]}`);
  if (command === 'role' && rest.length < 2) throw new UsageError(`role needs ${NEEDS_MORE.role}`);
  if (command === 'page') responderFlags(args);
  const when = meetingTime(flag(args, 'when'));
  const api = apiTarget(process.env);
  if (typeof api === 'string') throw new UsageError(api);
  // The review meeting's confirmation goes to Temporal (the API has no route for it yet).
  if (api && !['list', 'show', 'review-scheduled'].includes(command))
    return actThroughApi(api, command, id!, rest, args, out, err);
  // A bad filter is a usage error before any connection.
  const query = command === 'list' ? listQuery(args) : '';
  const connection = await connectOrSay(err);
  if (!connection) return EXIT.unreachable;
  const client = clientOf(connection);
  let deadline: number | undefined;
  try {
    if (command === 'list') return await list(client, query, args.values.json === true, out);
    const handle = client.workflow.getHandle(workflowIdOfIncident(id));
    // A stuck workflow answers neither a query nor an Update: every call has a deadline.
    const timeoutMs = answerTimeoutMs();
    const within = <T>(fn: () => Promise<T>) => {
      deadline = Date.now() + timeoutMs;
      return connection.withDeadline(deadline, fn);
    };
    if (command === 'review-scheduled')
      return await reviewScheduled(connection, id!, by, when, within, out, err);
    const description = await within(() => handle.describe());
    if (command === 'show') {
      const view = await within(() => handle.query(statusQuery));
      out(args.values.json ? jsonText(view) : describeView(view));
      return EXIT.ok;
    }
    if (description.status.name !== 'RUNNING') {
      err(`${id} is closed (${description.status.name.toLowerCase()}); nothing to do`);
      return EXIT.refused;
    }
    // The incident merged into must be open; it is named by its incident id in both timelines.
    let into: { incidentId: string; workflowId: string } | undefined;
    if (command === 'merge') {
      const found = await openIncidentId(client, rest[0], within);
      if ('refused' in found) return (err(terminalText(found.refused)), EXIT.refused);
      into = found;
    }
    const [name, payload] = into
      ? (['merge', { by, into: into.incidentId, intoWorkflowId: into.workflowId }] as const)
      : commandOf(command, by, rest, args);
    const outcome = await within(() => sendCommand(handle, name, payload));
    if (!outcome.accepted) {
      err(`${command} refused by ${handle.workflowId}: ${terminalText(outcome.reason)}`);
      return EXIT.refused;
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
    // Past our deadline the call ends as DEADLINE_EXCEEDED, or as CANCELLED when it ended inside the
    // SDK's Update poll: either way the incident did not answer in time.
    const pastDeadline = deadline !== undefined && Date.now() >= deadline;
    if (pastDeadline || isGrpcDeadlineError(e) || isGrpcDeadlineError((e as Error).cause)) {
      const seconds = answerTimeoutMs() / 1000;
      err(
        `incident ${id} did not answer within ${seconds} s; its workflow may be stuck (a failing workflow task): ${uiLink(workflowIdOfIncident(id))}`,
      );
      return EXIT.timedOut;
    }
    err(`Temporal error: ${(e as Error).message}`);
    return EXIT.unreachable;
  } finally {
    await connection.close();
  }
}

/** An incident command as the token's person, through the API (`cli/api-client.ts`). */
async function actThroughApi(
  api: ApiTarget,
  command: string,
  id: string,
  rest: string[],
  args: Parsed,
  out: (s: string) => void,
  err: (s: string) => void,
) {
  if (flag(args, 'by') !== undefined) err('--by is not used through the API: your token says who you are');
  const [action, body] = command === 'page' ? ['page', responderFlags(args)] : apiCommand(command, rest);
  const path = `/incidents/${encodeURIComponent(id)}/${action}`;
  const { code, answer } = await postAsPerson(api, path, body, answerTimeoutMs() + 5000, err);
  if (answer) out(terminalText(`${id}: ${answer.message}${answer.status ? ` (now ${answer.status})` : ''}`));
  return code;
}

/** `declare` through the API: validated here as it would be against Temporal, then declared by the token's person. */
async function declareThroughApi(
  api: ApiTarget,
  args: Parsed,
  out: (s: string) => void,
  err: (s: string) => void,
) {
  const declared = parseDeclare(['declare', ...args.positionals.slice(1)].join(' '));
  if (typeof declared === 'string') throw new UsageError(declared);
  const { code, answer } = await postAsPerson(api, '/incidents', declared, answerTimeoutMs() + 5000, err);
  if (answer) out(terminalText(`declared ${answer.workflowId} (${declared.severity}, ${declared.service})`));
  return code;
}

if (require.main === module) {
  runCli(process.argv.slice(2)).then((code) => process.exit(code));
}
