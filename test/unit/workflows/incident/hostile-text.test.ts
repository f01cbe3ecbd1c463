/**
 * Text from alerts is data, never markup: 30 hostile strings, each shown in the five places an incident is
 * shown (Slack, the review file, the CLI, the Temporal UI's details, search attributes), must stay inert.
 */
import { toIncidentPolicy } from '../../../../activities/policy';
import { initialState, record, type IncidentState } from '../../../../workflows/incident/state';
import { toView } from '../../../../workflows/incident/view';
import { nextSlackItem } from '../../../../workflows/incident/lifecycle';
import { detailsMarkdown, searchAttributes } from '../../../../workflows/incident/visibility';
import {
  approvalRequestText,
  openMessage,
  reviewMarkdown,
  statusUpdateMessage,
} from '../../../../domain/render';
import { plainText } from '../../../../domain/text';
import { describeView } from '../../../../cli/incident-words';
import { testConfig } from '../../../../scripts/testbed/config';
import { ESC, HOSTILE } from '../../../support/hostile-text';

// eslint-disable-next-line no-control-regex
const CONTROLS = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200b-\u200f\u2028\u2029\ufeff]/;

function incidentWith(text: string): IncidentState {
  const state = initialState(
    { dedupKey: 'k', service: text, scenario: 'health', severity: 'P1', summary: text, security: false },
    { incidentId: 'incident-1-abcd1234', workflowId: 'incident-1' },
    Date.parse('2026-11-27T10:00:00Z'),
  );
  state.policy = toIncidentPolicy(testConfig(), 'checkout');
  state.acknowledgedBy = text;
  state.acknowledgedAt = state.createdAt + 60_000;
  state.status = 'acknowledged';
  record(state, state.createdAt + 1_000, 'page', `paged primary: ${text}`, { actor: text });
  record(state, state.createdAt + 2_000, 'note', text, { actor: text });
  return state;
}

/** What each place shows of an incident whose alert text, service and responder name are all `text`. */
function sinks(text: string) {
  const state = incidentWith(text);
  const view = toView(state);
  const slack = [
    openMessage(view, null),
    statusUpdateMessage(view, '30:00'),
    approvalRequestText(view, text, `restart ${text}`),
    (nextSlackItem(state) as { text: string }).text,
  ];
  return {
    slack,
    review: reviewMarkdown(view),
    cli: describeView(view),
    details: detailsMarkdown(state),
    searchAttributes: searchAttributes(state).map((a) => String(a.value)),
  };
}

/** The shape of a Markdown document: each line's kind (heading level, list item, table row, blank, text). */
function markdownShape(markdown: string): string[] {
  return markdown
    .split('\n')
    .map((line) =>
      /^#{1,6} /.test(line)
        ? `h${line.indexOf(' ')}`
        : line.startsWith('- ')
          ? 'li'
          : line.startsWith('|')
            ? 'tr'
            : line === ''
              ? 'blank'
              : 'p',
    );
}

/** Markup a CommonMark renderer would act on, unless escaped with a backslash. */
const UNESCAPED_MARKUP = /(?<!\\)(?:<[a-z!/?]|\]\(|!\[|\[[^\]]*\]|`)/i;

const benign = sinks('plain words');

describe.each(HOSTILE.map((text, i) => [i, JSON.stringify(text).slice(0, 50), text]))(
  'hostile string %i %s',
  (_i, _label, text) => {
    const shown = sinks(text as string);
    const visible = plainText(text, 60).replace(/…$/, '');

    test('Slack: no mention, link or control character; the words still shown', () => {
      for (const message of shown.slack) {
        expect(message).not.toMatch(/[<>]/);
        expect(message.replace(/&(amp|lt|gt);/g, '')).not.toContain('&');
        expect(message).not.toMatch(CONTROLS);
      }
      const unescaped = shown.slack[0].replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
      expect(unescaped).toContain(visible.slice(0, 40));
      // One line per line of the template: an alert cannot add lines.
      shown.slack.forEach((message, k) =>
        expect(message.split('\n')).toHaveLength(benign.slack[k].split('\n').length),
      );
    });

    test('review file: the same Markdown structure as a benign incident, no live markup', () => {
      expect(markdownShape(shown.review)).toEqual(markdownShape(benign.review));
      const added = shown.review.split('\n').filter((line) => !benign.review.split('\n').includes(line));
      for (const line of added) expect(line).not.toMatch(UNESCAPED_MARKUP);
      expect(shown.review).not.toMatch(CONTROLS);
    });

    test('CLI: no escape sequence or control character reaches the terminal; one line per field', () => {
      expect(shown.cli).not.toContain(ESC);
      expect(shown.cli).not.toMatch(CONTROLS);
      expect(shown.cli.split('\n')).toHaveLength(benign.cli.split('\n').length);
    });

    test('UI details: the same paragraphs, nothing a Markdown renderer would act on', () => {
      expect(shown.details.split('\n\n')).toHaveLength(benign.details.split('\n\n').length);
      for (const paragraph of shown.details.split('\n\n')) expect(paragraph).not.toMatch(UNESCAPED_MARKUP);
      expect(shown.details).not.toMatch(/[\n]{3}|^#/m);
      expect(shown.details).not.toMatch(CONTROLS);
    });

    test('search attributes: printable, at most 200 characters and 2 KB', () => {
      for (const value of shown.searchAttributes) {
        expect(value.length).toBeLessThanOrEqual(200);
        expect(Buffer.byteLength(value)).toBeLessThanOrEqual(2048);
        expect(value).not.toMatch(CONTROLS);
      }
    });
  },
);
