/** Configuration patches of the recorded histories' lanes (`record-histories.ts`) for revisions 6 and 7. */

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

/** Revision 7: the same, and a DB team (the tech lead, then the manager, 5 minutes apart) to add as a responder. */
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
