/** Texts the incident shows people (Slack, status updates, the review). Pure, so workflows can build them. */
import { formatElapsed } from './policy';
import type { IncidentStatusView, PageRecord, TimelineEntry } from './types';

export function incidentLabel(view: Pick<IncidentStatusView, 'incidentId' | 'severity' | 'service'>): string {
  return `[${view.severity}] ${view.incidentId} (${view.service})`;
}

export function openMessage(view: IncidentStatusView, firstPage: PageRecord | null): string {
  const who = firstPage
    ? `${firstPage.contacts.join(', ')} (${firstPage.levelName}, via ${firstPage.channel})`
    : 'nobody (ticket only)';
  return [
    `:rotating_light: *Incident ${incidentLabel(view)}*`,
    `*Summary*: ${view.summary}`,
    `*Severity*: ${view.severity}   *Service*: ${view.service}   *Scenario*: ${view.scenario}`,
    `*Paged*: ${who}`,
    `*Acknowledge*: the button below, \`npm run incident -- ack ${view.workflowId}\`, or signal \`acknowledge\` {"by": "<you>"} on workflow ${view.workflowId} in the Temporal UI`,
  ].join('\n');
}

function actionsTaken(timeline: readonly TimelineEntry[]): string[] {
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
    .map((e) => `${e.message}${e.actor ? ` (${e.actor})` : ''}`);
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
  const actions = actionsTaken(view.timeline).slice(-10);
  const nextSteps =
    view.status === 'triggered'
      ? [`Waiting for acknowledgement; next escalation ${view.nextEscalationAt ?? 'none (ladder exhausted)'}`]
      : view.status === 'monitoring'
        ? ['Watching health for stability before closing']
        : ['Responders investigating; resolve with `npm run incident -- resolve ' + view.workflowId + '`'];
  return [
    `**Incident Update - ${view.incidentId}**`,
    '',
    `**Status**: ${status}`,
    `**Impact**: ${view.summary} (${view.service}, ${view.severity})`,
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
  return `:raised_hand: *Approval needed* for \`${step}\` on ${incident.incidentId}: ${proposal}\nApprove: \`npm run incident -- approve ${incident.workflowId} ${step}\`, the button below, or update/signal \`approve\` {"by": "<you>", "step": "${step}"} — or \`reject\` with a reason.`;
}

function clock(iso: string): string {
  return iso.slice(11, 16);
}

/** One timeline entry in the review: wall-clock time, what happened, who, and time since opening. */
export function timelineLine(e: TimelineEntry, createdAt: string): string {
  const since = formatElapsed(Date.parse(e.at) - Date.parse(createdAt));
  return `- **${clock(e.at)}**: ${e.message}${e.actor ? ` (${e.actor})` : ''} _(+${since}, ${e.at})_`;
}

/**
 * Where the journal's entries go back into a review: after the timeline's first line ('opened'), before
 * the newest entries the state kept.
 */
export function journalInsertPoint(view: IncidentStatusView): string {
  return `## Incident Timeline\n\n${view.timeline[0] ? `${timelineLine(view.timeline[0], view.createdAt)}\n` : ''}`;
}

/** Post-incident review in the seed's format, from the timeline. */
export function reviewMarkdown(view: IncidentStatusView): string {
  const created = Date.parse(view.createdAt);
  const since = (iso: string | null) => (iso ? formatElapsed(Date.parse(iso) - created) : 'n/a');
  const actions = actionsTaken(view.timeline);
  return [
    `# Post-incident review: ${view.incidentId}`,
    '',
    '## Summary',
    '',
    `- **Service**: ${view.service}`,
    `- **Scenario**: ${view.scenario}`,
    `- **Severity**: ${view.severity}`,
    `- **Summary**: ${view.summary}`,
    `- **Opened**: ${view.createdAt}`,
    `- **Acknowledged**: ${view.acknowledgedAt ?? 'never'}${view.acknowledgedBy ? ` by ${view.acknowledgedBy}` : ''}`,
    `- **Resolved**: ${view.resolvedAt ?? 'n/a'}${view.resolvedBy ? ` by ${view.resolvedBy}` : ''}`,
    `- **Time to acknowledge**: ${since(view.acknowledgedAt)}`,
    `- **Time to resolve**: ${since(view.resolvedAt)}`,
    `- **Resolution**: ${view.resolutionSummary ?? 'n/a'}`,
    `- **Pages sent**: ${view.paged.length}`,
    '',
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
