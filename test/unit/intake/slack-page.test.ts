/** Slack's `/incident page <id> <target>`: every way to name a target, and every refusal. */
import {
  parseSlackMerge,
  parseSlackPage,
  parseSlackReassign,
  parseSlackRole,
} from '../../../intake/slack-page';
import { testConfig } from '../../../scripts/testbed/config';
import { THREE_TEAMS } from '../../support/team-config';

const config = testConfig(THREE_TEAMS);
const ID = 'incident-0123456789abcdef0123';
const RUN = `${ID}-89abcdef`;

test.each([
  [`page ${ID} @db`, { workflowId: ID, target: { kind: 'team', name: 'db' } }],
  [`page db ${RUN}`, { workflowId: ID, incident: RUN, target: { kind: 'team', name: 'db' } }],
  [`page ${ID} @db-lead`, { workflowId: ID, target: { kind: 'person', name: 'db-lead' } }],
  [`page ${ID} primary`, { workflowId: ID, target: { kind: 'schedule', name: 'primary' } }],
  [`page ${ID} team:app`, { workflowId: ID, target: { kind: 'team', name: 'app' } }],
  [`page ${ID} schedule:db`, { workflowId: ID, target: { kind: 'schedule', name: 'db' } }],
  [`page ${ID} <@U0TECHLEAD|lee>`, { workflowId: ID, target: { kind: 'person', name: 'tech-lead' } }],
])('%s', (text, expected) => {
  expect(parseSlackPage(config, text)).toEqual(expected);
});

test.each([
  ['page', /^usage: page/],
  ['page @db', /^name the incident/],
  [`page ${ID}`, /^name whom to page/],
  [`page ${ID} @db extra`, /^usage: page/],
  [`page ${ID} @nobody`, /^no team, contact or schedule is named "nobody"/],
  [`page ${ID} <@U0STRANGER>`, /^person: <@U0STRANGER> is no configured contact/],
  [`page ${ID} role:db`, /^usage: page/],
  [`page ${ID} team:a/b`, /^usage: page/],
])('%s is refused', (text, why) => {
  expect(parseSlackPage(config, text)).toMatch(why);
});

describe('/incident role <id> <role> <person>', () => {
  const caller = 'Primary on-call (slack:U0PRIMARY)';
  test.each([
    [`role ${ID} commander me`, { workflowId: ID, role: 'commander', person: caller }],
    [
      `role ${RUN} scribe <@U0TECHLEAD|lee>`,
      { workflowId: ID, incident: RUN, role: 'scribe', person: 'Tech lead' },
    ],
    [`role ${ID} communications db-lead`, { workflowId: ID, role: 'communications', person: 'DB lead' }],
    [`role ${ID} scribe Dana from support`, { workflowId: ID, role: 'scribe', person: 'Dana from support' }],
  ])('%s', (text, expected) => {
    expect(parseSlackRole(config, text, caller)).toEqual(expected);
  });
  test.each([
    ['role', /^name the incident/],
    [`role ${ID} captain amy`, /^role: one of commander, communications, scribe/],
    [`role ${ID} scribe`, /^name who takes the role/],
    [`role ${ID} scribe <@U0STRANGER>`, /^person: <@U0STRANGER> is no configured contact/],
  ])('%s is refused', (text, why) => {
    expect(parseSlackRole(config, text, caller)).toMatch(why);
  });
});

describe('/incident reassign <id> <@team>', () => {
  test('a team by @name or team:name', () => {
    expect(parseSlackReassign(config, `reassign ${RUN} @db`)).toEqual({
      workflowId: ID,
      incident: RUN,
      team: 'db',
    });
    expect(parseSlackReassign(config, `reassign ${ID} team:security`)).toEqual({
      workflowId: ID,
      team: 'security',
    });
  });
  test.each([
    ['reassign', /^name the incident/],
    [`reassign ${ID}`, /^team: no team is named ""/],
    [`reassign ${ID} @payments`, /^team: no team is named "payments"/],
    [`reassign ${ID} @db now`, /^usage: reassign/],
  ])('%s is refused', (text, why) => {
    expect(parseSlackReassign(config, text)).toMatch(why);
  });
});

describe('/incident merge <id> <into-id>', () => {
  const OTHER = 'incident-fedcba9876543210fedc';
  test('the incident (a run or its workflow) and the one it goes into', () => {
    expect(parseSlackMerge(`merge ${RUN} ${OTHER}-01234567`)).toEqual({
      workflowId: ID,
      incident: RUN,
      into: `${OTHER}-01234567`,
    });
    expect(parseSlackMerge(`merge ${ID} ${OTHER}`)).toEqual({ workflowId: ID, into: OTHER });
  });
  test.each([
    ['merge', /^name the incident/],
    [`merge ${ID}`, /^into: name the incident to merge into/],
    [`merge ${ID} billing`, /^into: name the incident to merge into/],
    [`merge ${RUN} ${ID}`, /^into: an incident cannot merge into itself/],
    [`merge ${ID} ${OTHER} now`, /^usage: merge/],
    [`merge ${ID} ${OTHER}<script>`, /^into: name the incident/],
  ])('%s is refused', (text, why) => {
    expect(parseSlackMerge(text)).toMatch(why);
  });
});
