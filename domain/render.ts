/**
 * Texts the incident shows people (Slack, status updates, the review). Pure, so workflows can build them.
 * Every value from an alert, a person or a probe goes through the escape for where it is shown (`./text`).
 */
import { formatElapsed } from './policy';
import { actedBy } from './review-meeting';
import { markdownText, plainText, slackText } from './text';
import type { IncidentStatusView, PageRecord, TimelineEntry } from './types';

export function incidentLabel(
  view: Pick<IncidentStatusView, 'incidentId' | 'severity' | 'service'>,
  escape: (value: unknown, max?: number) => string = plainText,
): string {
  const [severity, id, service] = [
    plainText(view.severity, 10),
    plainText(view.incidentId, 100),
    plainText(view.service, 200),
  ];
  return escape(`[${severity}] ${id} (${service})`, 400);
}

export function openMessage(view: IncidentStatusView, firstPage: PageRecord | null): string {
  const who = firstPage
    ? slackText(`${firstPage.contacts.join(', ')} (${firstPage.levelName}, via ${firstPage.channel})`)
    : 'nobody (ticket only)';
  const id = slackText(view.workflowId, 100);
  return [
    `:rotating_light: *Incident ${incidentLabel(view, slackText)}*`,
    `*Summary*: ${slackText(view.summary)}`,
    `*Severity*: ${slackText(view.severity, 10)}   *Service*: ${slackText(view.service, 200)}   *Scenario*: ${slackText(view.scenario, 50)}`,
    `*Paged*: ${who}`,
    `*Acknowledge*: the button below, \`npm run incident -- ack ${id}\`, or signal \`acknowledge\` {"by": "&lt;you&gt;"} on workflow ${id} in the Temporal UI`,
  ].join('\n');
}

function actionsTaken(
  timeline: readonly TimelineEntry[],
  escape: (value: unknown, max?: number) => string,
): string[] {
  const kinds = new Set([
    'page',
    'notified',
    'acknowledged',
    'escalated',
    'severity',
    'ticket',
    'status-page',
    'health',
    'approval',
  ]);
  return timeline
    .filter((e) => kinds.has(e.type))
    .map((e) => escape(`${e.message}${e.actor ? ` (${e.actor})` : ''}`));
}

/** The seed's Slack update template: Status, Impact, Next update, Actions taken, Next steps. */
export function statusUpdateMessage(view: IncidentStatusView, nextUpdateIn: string): string {
  const status =
    view.status === 'triggered' || view.status === 'acknowledged'
      ? 'Investigating'
      : view.status === 'mitigating'
        ? 'Mitigating'
        : view.status === 'monitoring'
          ? 'Monitoring'
          : 'Resolved';
  const actions = actionsTaken(view.timeline, slackText).slice(-10);
  const nextSteps =
    view.status === 'triggered'
      ? [`Waiting for acknowledgement; next escalation ${view.nextEscalationAt ?? 'none (ladder exhausted)'}`]
      : view.status === 'monitoring'
        ? ['Watching health for stability before closing']
        : [
            `Responders investigating; resolve with \`npm run incident -- resolve ${slackText(view.workflowId, 100)}\``,
          ];
  return [
    `**Incident Update - ${slackText(view.incidentId, 100)}**`,
    '',
    `**Status**: ${status}`,
    `**Impact**: ${slackText(view.summary)} (${slackText(view.service, 200)}, ${slackText(view.severity, 10)})`,
    `**Next Update**: In ${nextUpdateIn}`,
    '',
    '**Actions Taken**:',
    ...(actions.length ? actions.map((a) => `- ${a}`) : ['- none yet']),
    '',
    '**Next Steps**:',
    ...nextSteps.map((s) => `- ${s}`),
  ].join('\n');
}

/** The Slack message asking for a runbook step's approval, with every way to answer it. */
export function approvalRequestText(
  incident: { incidentId: string; workflowId: string },
  step: string,
  proposal: string,
): string {
  const [id, name] = [slackText(incident.workflowId, 100), slackText(step, 100)];
  return `:raised_hand: *Approval needed* for \`${name}\` on ${slackText(incident.incidentId, 100)}: ${slackText(proposal)}\nApprove: \`npm run incident -- approve ${id} ${name}\`, the button below, or update/signal \`approve\` {"by": "&lt;you&gt;", "step": "${name}"} — or \`reject\` with a reason.`;
}

function clock(iso: string): string {
  return iso.slice(11, 16);
}

/** One timeline entry in the review: wall-clock time, what happened, who, and time since opening. */
export function timelineLine(e: TimelineEntry, createdAt: string): string {
  const since = formatElapsed(Date.parse(e.at) - Date.parse(createdAt));
  const who = e.actor ? ` (${markdownText(e.actor, 200)})` : '';
  return `- **${clock(e.at)}**: ${markdownText(e.message)}${who} _(+${since}, ${e.at})_`;
}

/**
 * Where the journal's entries go back into a review: after the timeline's first line ('opened'), before
 * the newest entries the state kept.
 */
export function journalInsertPoint(view: IncidentStatusView): string {
  return `## Incident Timeline\n\n${view.timeline[0] ? `${timelineLine(view.timeline[0], view.createdAt)}\n` : ''}`;
}

/** Actors that are the system itself, not people: they respond to nothing. */
/**
 * Who held each role (revision 7; the acknowledger leads until a commander is named), who acted on the
 * incident (everyone the timeline names), added responders and their answers, and who was paged.
 */
function peopleSection(view: IncidentStatusView): string[] {
  const md = markdownText;
  const roles = view.roles ?? {};
  const acted = actedBy(view);
  const paged = [...new Set(view.paged.flatMap((p) => p.contacts))];
  const list = (names: string[]) => (names.length ? names.map((n) => md(n, 200)).join(', ') : 'nobody');
  return [
    '## Responders and Roles',
    '',
    `- **Incident commander**: ${md(roles.commander ?? view.acknowledgedBy ?? 'nobody named', 200)}${roles.commander ? '' : view.acknowledgedBy ? ' (acknowledged)' : ''}`,
    `- **Communications lead**: ${md(roles.communications ?? 'nobody named', 200)}`,
    `- **Scribe**: ${md(roles.scribe ?? 'nobody named', 200)}`,
    `- **Responded**: ${list(acted)}`,
    ...(view.responders ?? []).map(
      (r) =>
        `- **Added responder ${md(r.label, 200)}** (asked by ${md(r.requestedBy, 200)}): ${r.answeredBy ? `answered by ${md(r.answeredBy, 200)}` : md(r.ended ?? 'not answered', 300)}`,
    ),
    `- **Paged**: ${list(paged)}`,
    '',
  ];
}

/** Post-incident review in the seed's format, from the timeline. */
export function reviewMarkdown(view: IncidentStatusView): string {
  const created = Date.parse(view.createdAt);
  const since = (iso: string | null) => (iso ? formatElapsed(Date.parse(iso) - created) : 'n/a');
  const actions = actionsTaken(view.timeline, markdownText);
  const md = markdownText;
  return [
    `# Post-incident review: ${md(view.incidentId, 100)}`,
    '',
    '## Summary',
    '',
    `- **Service**: ${md(view.service, 200)}`,
    `- **Scenario**: ${md(view.scenario, 50)}`,
    `- **Severity**: ${md(view.severity, 10)}`,
    `- **Summary**: ${md(view.summary)}`,
    `- **Opened**: ${view.createdAt}`,
    `- **Acknowledged**: ${view.acknowledgedAt ?? 'never'}${view.acknowledgedBy ? ` by ${md(view.acknowledgedBy, 200)}` : ''}`,
    `- **Resolved**: ${view.resolvedAt ?? 'n/a'}${view.resolvedBy ? ` by ${md(view.resolvedBy, 200)}` : ''}`,
    `- **Time to acknowledge**: ${since(view.acknowledgedAt)}`,
    `- **Time to resolve**: ${since(view.resolvedAt)}`,
    `- **Resolution**: ${view.resolutionSummary ? md(view.resolutionSummary) : 'n/a'}`,
    `- **Pages sent**: ${view.paged.length}`,
    '',
    ...peopleSection(view),
    '## Incident Timeline',
    '',
    ...view.timeline.map((e) => timelineLine(e, view.createdAt)),
    '',
    '## Actions Taken',
    '',
    ...(actions.length ? actions.map((a) => `- ${a}`) : ['- none']),
    '',
    '## Root Cause Analysis',
    '',
    '- What happened?',
    '- Why did it happen?',
    '- How did we detect it?',
    '- How did we resolve it?',
    '- What can we do to prevent it?',
    '',
    '## Follow-up Actions',
    '',
    '| Action | Type (code fix, monitoring, process, documentation) | Owner | Due |',
    '| --- | --- | --- | --- |',
    '| | | | |',
    '',
  ].join('\n');
}

/** What a person filled in after the incident: the root-cause answers and the tracked follow-up actions. */
export interface ReviewEdits {
  whatHappened: string | null;
  why: string | null;
  detection: string | null;
  resolution: string | null;
  prevention: string | null;
  actionItems: Array<{
    title: string;
    owner: string | null;
    dueDate: string | null;
    status: string;
    link: string | null;
  }>;
}

/**
 * The review to hand round: the document written at close, its Root Cause Analysis and Follow-up Actions
 * templates replaced by what people filled in (every text escaped, as in the rest of the document).
 */
export function filledReview(markdown: string, edits: ReviewEdits): string {
  const cut = markdown.indexOf('\n## Root Cause Analysis');
  const head = (cut >= 0 ? markdown.slice(0, cut) : markdown).trimEnd();
  const answer = (v: string | null) => (v?.trim() ? markdownText(v, 4000) : '_not answered yet_');
  const cell = (v: string | null) => (v?.trim() ? markdownText(v, 500) : ' ');
  return [
    head,
    '',
    '## Root Cause Analysis',
    '',
    `- **What happened?** ${answer(edits.whatHappened)}`,
    `- **Why did it happen?** ${answer(edits.why)}`,
    `- **How did we detect it?** ${answer(edits.detection)}`,
    `- **How did we resolve it?** ${answer(edits.resolution)}`,
    `- **What can we do to prevent it?** ${answer(edits.prevention)}`,
    '',
    '## Follow-up Actions',
    '',
    '| Action | Owner | Due | Status | Tracking |',
    '| --- | --- | --- | --- | --- |',
    ...(edits.actionItems.length
      ? edits.actionItems.map(
          (i) =>
            `| ${cell(i.title)} | ${cell(i.owner)} | ${cell(i.dueDate)} | ${cell(i.status)} | ${cell(i.link)} |`,
        )
      : ['| none yet | | | | |']),
    '',
  ].join('\n');
}
