/**
 * The recorded histories' lanes for revisions 6 and 7 (`record-histories.ts`): their configuration patches and
 * the scenarios that drive them.
 */
import type { WorkflowHandle } from '@temporalio/client';
import {
  alertSignal,
  mergeUpdate,
  resolveUpdate,
  statusQuery,
  acknowledgeSignal,
  acknowledgeUpdate,
  pageSignal,
  pageUpdate,
  reassignUpdate,
  resolveSignal,
  setRoleSignal,
  setRoleUpdate,
  setSeverityUpdate,
} from '../../domain/messages';
import type { incidentWorkflow } from '../../workflows/incident';

/** Revision 6: a team's escalation policy, with delays, a level of a schedule and a contact, a P1 ladder. */
export const POLICY_REVISION_6 = {
  engine: { revision: 6 },
  escalationPolicies: {
    app: {
      rules: [
        { targets: [{ schedule: 'primary' }], delay: '5m' },
        { targets: [{ contact: 'tech-lead' }, { schedule: 'primary' }], delay: '10m' },
      ],
      severity: {
        P1: {
          rules: [
            { targets: [{ contact: 'devops-manager' }], delay: '3m' },
            { targets: [{ contact: 'tech-lead' }] },
          ],
        },
      },
    },
  },
  teams: { app: { members: ['tech-lead'], escalationPolicy: 'app' } },
  services: { checkout: { team: 'app' } },
};

/**
 * Revision 7: the same, and a DB team (the tech lead, then the manager, 5 minutes apart) to add as a
 * responder.
 */
export const RESPONDERS_REVISION_7 = {
  ...POLICY_REVISION_6,
  engine: { revision: 7 },
  escalationPolicies: {
    ...POLICY_REVISION_6.escalationPolicies,
    db: {
      rules: [
        { targets: [{ contact: 'tech-lead' }], delay: '5m' },
        { targets: [{ contact: 'devops-manager' }] },
      ],
    },
  },
  teams: { ...POLICY_REVISION_6.teams, db: { members: ['tech-lead'], escalationPolicy: 'db' } },
};

/** Revision 8: the same, with merge and the review meeting. */
export const MERGE_REVISION_8 = { ...RESPONDERS_REVISION_7, engine: { revision: 8 } };

/**
 * Revision 9: the same, the tech lead reached by her notification rules: Slack at once, PagerDuty after 2 minutes,
 * Slack again after 4 (moot once she acknowledges).
 */
export const RULES_REVISION_9 = {
  ...MERGE_REVISION_8,
  engine: { revision: 9 },
  contacts: {
    'tech-lead': {
      notificationRules: [
        { channel: 'slack' },
        { channel: 'pagerduty', after: '2m' },
        { channel: 'slack', after: '4m' },
      ],
    },
  },
};

/** The scenarios of the `r6-` to `r9-` lanes, on the time-skipping server's clock (`sleep`). */
export function policyScenarios(
  sleep: (duration: string) => Promise<void>,
): Record<string, (h: WorkflowHandle<typeof incidentWorkflow>) => Promise<void>> {
  return {
    // Revision 6: a team's policy walked at its delays, raised to P1 (its own ladder), acknowledged, resolved.
    'r6-p2-team-policy-raise-resolved': async (h) => {
      await sleep('6m');
      await h.executeUpdate(setSeverityUpdate, { args: [{ by: 'bob', severity: 'P1' }] });
      await sleep('20m');
      await h.executeUpdate(acknowledgeUpdate, { args: [{ by: 'alice' }] });
      await h.signal(resolveSignal, { by: 'alice', summary: 'fixed' });
      await sleep('1m');
    },
    // Revision 7: roles named, the DB team added as a responder, paged twice on its policy, one of it joins.
    'r7-p2-responder-team-joined-resolved': async (h) => {
      await sleep('1m');
      await h.executeUpdate(acknowledgeUpdate, { args: [{ by: 'alice' }] });
      await h.executeUpdate(setRoleUpdate, { args: [{ by: 'alice', role: 'commander', person: 'Bob' }] });
      await h.signal(setRoleSignal, { by: 'bob', role: 'scribe', person: 'Alice' });
      await h.executeUpdate(pageUpdate, { args: [{ by: 'alice', team: 'db' }] });
      await sleep('6m');
      await h.signal(acknowledgeSignal, { by: 'Tech lead (slack:U0TECHLEAD)' });
      await h.signal(pageSignal, { by: 'alice', person: 'nobody' });
      await sleep('1m');
      await h.signal(resolveSignal, { by: 'alice', summary: 'fixed' });
      await sleep('1m');
    },
    // Revision 8: merged into another incident, a later alert of its group forwarded there, then that one
    // resolved: the merged run is told and completes.
    'r8-p2-merged-forwarded-ended': async (h) => {
      const { taskQueue } = await h.describe();
      const into = await h.client.start<typeof incidentWorkflow>('incidentWorkflow', {
        taskQueue,
        workflowId: `${h.workflowId}-into`,
        args: [
          {
            dedupKey: `${h.workflowId}-into`,
            service: 'checkout',
            scenario: 'health',
            severity: 'P2',
            summary: 'the incident merged into',
            security: false,
          },
        ],
      });
      await sleep('1m');
      const { incidentId } = await into.query(statusQuery);
      await h.executeUpdate(mergeUpdate, {
        args: [{ by: 'alice', into: incidentId, intoWorkflowId: into.workflowId }],
      });
      await sleep('1m');
      await h.signal(alertSignal, {
        alerts: [
          { fingerprint: 'f9', status: 'firing', summary: 'again', labels: {}, source: 'alertmanager' },
        ],
      });
      await sleep('1m');
      await into.executeUpdate(resolveUpdate, { args: [{ by: 'alice', summary: 'fixed' }] });
      await sleep('2m');
    },
    // Revision 9: the P1 ladder pages the tech lead at 3 min by her rules; the PagerDuty follow-up goes at 5 min,
    // she acknowledges at 6, and the Slack one due at 7 is dropped.
    'r9-p1-follow-ups-acknowledged': async (h) => {
      await sleep('6m');
      await h.executeUpdate(acknowledgeUpdate, { args: [{ by: 'tech-lead' }] });
      await sleep('2m');
      await h.signal(resolveSignal, { by: 'tech-lead', summary: 'fixed' });
      await sleep('1m');
    },
    // Revision 7: acknowledged, then reassigned to the DB team, whose policy pages anew until it acknowledges.
    'r7-p1-reassigned-acknowledged-resolved': async (h) => {
      await sleep('2m');
      await h.signal(acknowledgeSignal, { by: 'alice' });
      await h.executeUpdate(reassignUpdate, { args: [{ by: 'alice', team: 'db' }] });
      await sleep('6m');
      await h.signal(acknowledgeSignal, { by: 'tech-lead' });
      await h.signal(resolveSignal, { by: 'tech-lead', summary: 'fixed' });
      await sleep('1m');
    },
  };
}
