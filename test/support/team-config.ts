/**
 * Three teams (app, db, security), each with its own policy and schedule, as a configuration patch for
 * `testConfig`: the escalation tests on the time-skipping server and the unit tests of resolution share it.
 */
const oneOnCall = (who: string) => ({
  timeZone: 'UTC',
  layers: [{ name: 'always', participants: [who], start: '2026-01-05T09:00', rotation: 'weekly' }],
});

export const THREE_TEAMS = {
  engine: { revision: 6 },
  contacts: {
    'app-lead': { name: 'App lead' },
    'db-oncall': { name: 'DB on-call' },
    'db-lead': { name: 'DB lead' },
    'sec-lead': { name: 'Security lead' },
  },
  schedules: { app: oneOnCall('primary-oncall'), db: oneOnCall('db-oncall') },
  escalationPolicies: {
    'app-policy': {
      rules: [
        { targets: [{ schedule: 'app' }], delay: '5m' },
        {
          name: 'app lead and the DB team',
          targets: [{ contact: 'app-lead' }, { team: 'db' }],
          delay: '10m',
        },
        { targets: [{ contact: 'tech-lead' }] },
      ],
      afterLadder: 'stop',
      severity: {
        P1: {
          rules: [
            { targets: [{ schedule: 'app' }, { contact: 'app-lead' }], delay: '2m' },
            { targets: [{ team: 'security' }] },
          ],
        },
      },
    },
    'db-policy': { rules: [{ targets: [{ schedule: 'db' }] }, { targets: [{ contact: 'db-lead' }] }] },
    'security-policy': { rules: [{ targets: [{ contact: 'sec-lead' }] }], afterLadder: 'stop' },
  },
  teams: {
    app: { name: 'Application', members: ['primary-oncall', 'app-lead'], escalationPolicy: 'app-policy' },
    db: { members: ['db-oncall', 'db-lead'], slackChannel: '#db', escalationPolicy: 'db-policy' },
    security: { members: ['sec-lead'], escalationPolicy: 'security-policy' },
  },
  services: {
    checkout: { team: 'app' },
    'orders-db': { team: 'db' },
    auth: { team: 'security' },
  },
};
