/**
 * A responder's command from Slack or PagerDuty, as an Update once the person may send it: the answer says
 * what happened, or why it was refused. The incident's service (whose approvers and responders apply) comes
 * from the incident.
 */
import { isGrpcDeadlineError } from '@temporalio/client';
import { workflowUiLink } from '../config';
import { statusQuery } from '../domain/messages';
import { plainText } from '../domain/text';
import { mayAct } from './access';
import { sendCommand, type CommandOutcome } from './commands';
import type { IntakeContext } from './context';
import { IncidentDidNotAnswer, TemporalUnavailable, unreachable } from './http';
import type { ResponderSignal } from './responders';

export async function sendResponderCommand(
  ctx: IntakeContext,
  channel: 'slack' | 'pagerduty',
  s: ResponderSignal,
): Promise<CommandOutcome> {
  const { client, config, metrics, withTemporal } = ctx;
  const handle = client.workflow.getHandle(s.workflowId);
  try {
    const { service } = await withTemporal(() => handle.query(statusQuery));
    const command = s.signal === 'setRole' ? 'role' : s.signal;
    const access = mayAct(config, s.who, command, { service, step: s.args.step });
    if (!access.allowed) {
      metrics.responderActions.inc({ channel, signal: `${s.signal}_refused` });
      return { accepted: false, reason: access.reason };
    }
    const outcome = await withTemporal(() => sendCommand(handle, s.signal, { ...s.args, by: access.by }));
    metrics.responderActions.inc({ channel, signal: s.signal });
    return outcome;
  } catch (err) {
    // Temporal is there, the incident did not answer (no answer in time, or its workflow task failing): its
    // workflow may be stuck, and "Temporal is unavailable, retry later" would hide it.
    if (err instanceof TemporalUnavailable && !unreachable(err.cause)) {
      const why = isGrpcDeadlineError(err.cause)
        ? `did not answer within ${ctx.timeoutMs / 1000} s`
        : `could not answer (${plainText(err.message, 200)})`;
      throw new IncidentDidNotAnswer(
        `incident ${s.workflowId} ${why}; its workflow may be stuck (page by hand if it pages nobody): ${workflowUiLink(config, client.options.namespace, s.workflowId, ctx.env)}`,
      );
    }
    throw err;
  }
}
