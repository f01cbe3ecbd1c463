/**
 * The status page and its feed show what responders wrote as text: for each of the 30 hostile strings, the
 * page has exactly the tags of a page with benign text (nothing added, nothing opened or closed), and the
 * feed's XML likewise.
 */
import { statusFeedAtom, statusPageHtml, type StatusPageModel } from '../../../intake/status/render';
import type { StatusUpdate } from '../../../domain/status-page';
import { HOSTILE } from '../../support/hostile-text';

function model(text: string): StatusPageModel {
  const update = (id: number, status: StatusUpdate['status']): StatusUpdate => ({
    id,
    incidentId: `incident-${id}`,
    service: text,
    title: text,
    status,
    message: `${text}\n${text}`,
    impact: text,
    eta: text,
    nextUpdateAt: status === 'resolved' ? null : '2026-12-06T10:30:00.000Z',
    author: text,
    publishedAt: '2026-12-06T10:00:00.000Z',
  });
  return {
    title: text,
    generatedAt: '2026-12-06T10:01:00.000Z',
    overall: 'major_outage',
    services: [
      { service: text, health: 'major_outage', source: 'responder', overriddenBy: text, reason: text },
    ],
    active: [
      {
        incidentId: 'incident-1',
        service: text,
        title: text,
        status: 'investigating',
        updates: [update(1, 'investigating')],
      },
    ],
    past: [
      {
        incidentId: 'incident-2',
        service: text,
        title: text,
        status: 'resolved',
        updates: [update(2, 'resolved')],
      },
    ],
  };
}

/** The tags in order, attribute values blanked; a message's paragraphs (one per line it has) count as one. */
const tags = (markup: string) =>
  (markup.match(/<[^>]*>/g) ?? [])
    .map((t) => t.replace(/"[^"]*"/g, '""'))
    .join('')
    .replace(/(<p><\/p>)+/g, '<p></p>');
const benign = {
  html: statusPageHtml(model('checkout is slow')),
  atom: statusFeedAtom(model('checkout is slow')),
};

test.each(HOSTILE.map((text, i) => [i, JSON.stringify(text).slice(0, 50), text]))(
  'hostile text %i (%s) is text on the page and in the feed',
  (_i, _label, text) => {
    const html = statusPageHtml(model(text as string));
    const atom = statusFeedAtom(model(text as string));
    expect(tags(html)).toEqual(tags(benign.html));
    expect(tags(atom)).toEqual(tags(benign.atom));
    expect(html).not.toMatch(/<script|<img|<details/i);
    // Controls and invisible formatting are gone; XML 1.0 forbids most of them outright.
    // eslint-disable-next-line no-control-regex
    expect(atom).not.toMatch(/[\x00-\x08\x0b\x0c\x0e-\x1f\u202a-\u202e\u2066-\u2069\ufffe\uffff]/);
  },
);

test('the author of an update (a person of the team) is not on the page', () => {
  const m = model('checkout is slow');
  m.active[0].updates[0].author = 'Alice Example (api:alice)';
  expect(statusPageHtml(m)).not.toContain('Alice');
  expect(statusFeedAtom(m)).not.toContain('Alice');
});
