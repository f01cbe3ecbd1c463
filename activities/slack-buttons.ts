/**
 * The Slack buttons on an incident message and the value they carry. Shared by the activity that posts
 * them and the intake route that receives the clicks, so both read one format.
 */
export const SLACK_ACTIONS = {
  incident_acknowledge: 'acknowledge',
  incident_resolve: 'resolve',
  incident_approve: 'approve',
  incident_reject: 'reject',
} as const;
export type SlackActionId = keyof typeof SLACK_ACTIONS;

export interface SlackButtonValue {
  workflowId: string;
  /** The incident the message is about: a click on an older incident's button is refused, not applied. */
  incidentId?: string;
  step?: string;
  /** The proposal an Approve/Reject answers: one made before the step was proposed again is refused. */
  proposal?: string;
}

export function encodeButtonValue(value: SlackButtonValue): string {
  return JSON.stringify(value);
}

export function decodeButtonValue(text: unknown): SlackButtonValue | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    const parsed = JSON.parse(text) as Partial<SlackButtonValue>;
    if (typeof parsed.workflowId !== 'string' || !/^[\w.-]{1,200}$/.test(parsed.workflowId)) return undefined;
    if (parsed.step !== undefined && typeof parsed.step !== 'string') return undefined;
    if (parsed.incidentId !== undefined && typeof parsed.incidentId !== 'string') return undefined;
    if (parsed.proposal !== undefined && typeof parsed.proposal !== 'string') return undefined;
    return {
      workflowId: parsed.workflowId,
      ...(parsed.incidentId ? { incidentId: parsed.incidentId.slice(0, 200) } : {}),
      ...(parsed.step ? { step: parsed.step } : {}),
      ...(parsed.proposal ? { proposal: parsed.proposal.slice(0, 40) } : {}),
    };
  } catch {
    return undefined;
  }
}

interface SlackButton {
  type: 'button';
  action_id: SlackActionId;
  text: { type: 'plain_text'; text: string };
  value: string;
  style?: 'primary' | 'danger';
}

export function incidentButtons(workflowId: string, incidentId: string): SlackButton[] {
  const value = encodeButtonValue({ workflowId, incidentId });
  return [
    {
      type: 'button',
      action_id: 'incident_acknowledge',
      text: { type: 'plain_text', text: 'Acknowledge' },
      value,
      style: 'primary',
    },
    { type: 'button', action_id: 'incident_resolve', text: { type: 'plain_text', text: 'Resolve' }, value },
  ];
}

export function approvalButtons(
  workflowId: string,
  incidentId: string,
  step: string,
  proposal?: string,
): SlackButton[] {
  const value = encodeButtonValue({ workflowId, incidentId, step, ...(proposal ? { proposal } : {}) });
  return [
    {
      type: 'button',
      action_id: 'incident_approve',
      text: { type: 'plain_text', text: 'Approve' },
      value,
      style: 'primary',
    },
    {
      type: 'button',
      action_id: 'incident_reject',
      text: { type: 'plain_text', text: 'Reject' },
      value,
      style: 'danger',
    },
  ];
}
