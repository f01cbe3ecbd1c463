/** Who may act from Slack and PagerDuty: the people's ids and the `access` section. */
import { z } from 'zod';

/** Slack member ids (U…, W…) and PagerDuty user ids (P…): how a click or webhook names the person. */
export const SLACK_ID = '[UW][A-Z0-9]{2,20}';
export const PAGERDUTY_ID = 'P[A-Z0-9]{2,20}';
export const SLACK_MEMBER_ID = new RegExp(`^${SLACK_ID}$`);
/** Who may act from Slack and PagerDuty; the CLI and the Temporal UI are open to whoever can reach Temporal. */
export const access = z.strictObject({
  /** Contact ids who may approve or reject a runbook step. Absent: every contact on the escalation ladder. */
  approvers: z.array(z.string()).min(1).optional(),
  /** Per step name (e.g. "restart-container"): wins over the service's and the default approvers. */
  stepApprovers: z.record(z.string(), z.array(z.string()).min(1)).default({}),
  /** Who may acknowledge and resolve: configured contacts only (by their Slack / PagerDuty user id), or anyone. */
  responders: z.enum(['contacts', 'anyone']).default('contacts'),
  /** More people who may acknowledge and resolve, as "slack:U…" or "pagerduty:P…". */
  allow: z
    .array(
      z
        .string()
        .regex(
          new RegExp(`^(slack:${SLACK_ID}|pagerduty:${PAGERDUTY_ID})$`),
          'expected "slack:U…" or "pagerduty:P…"',
        ),
    )
    .default([]),
});
