import type { IncidentStatusView, TimelineEntry } from './types';

/**
 * Each entry of a view's timeline with its number in the incident's whole timeline. The workflow keeps the
 * first entry (the opening) and the newest after it. Revision 4 counts every entry (`timelineTotal`); older
 * runs are numbered as they always were in the store, from the count of entries moved to their journal.
 */
export function numberedEntries(
  view: Pick<IncidentStatusView, 'timeline' | 'timelineTotal' | 'timelineJournaled'>,
): [number, TimelineEntry][] {
  const n = view.timeline.length;
  const total = view.timelineTotal;
  return view.timeline.map((entry, i) => [
    total === undefined ? (view.timelineJournaled ?? 0) + i : i === 0 ? 0 : total - (n - i),
    entry,
  ]);
}
