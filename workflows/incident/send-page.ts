/**
 * Sending one page: whoever the level reaches now (schedules read with their overrides at this instant),
 * recorded before it goes, delivered through the pager, its outcome in the timeline. Shared by the ladder,
 * the security team, management and added responders.
 */
import type { DeliveryResult } from '../../activities/contract';
import { levelReachedAt, levelSchedules, type LadderLevel } from '../../domain/policy';
import type { StoredOverride } from '../../domain/oncall';
import * as effects from './effects';
import { describeError } from './effects';
import { record, type IncidentState } from './state';
import { addPage, pageSent } from './transitions';
import { scheduleFollowUps } from './follow-ups';

export const quietly = { announce: false } as const;

/** A delivery whose failure is an answer, not an error: recorded, and the incident goes on. */
export async function deliver(state: IncidentState, what: string, send: () => Promise<DeliveryResult>) {
  try {
    return await send();
  } catch (err) {
    const detail = `${what} failed: ${describeError(err)}`;
    record(state, Date.now(), 'error', detail, quietly);
    return { delivered: false, detail } satisfies DeliveryResult;
  }
}

/** The overrides of the level's schedules (none for fixed levels); unreadable ones are recorded, not fatal. */
async function overridesFor(
  state: IncidentState,
  level: LadderLevel,
): Promise<Map<string, StoredOverride[]>> {
  const found = new Map<string, StoredOverride[]>();
  for (const name of levelSchedules(level)) {
    const overrides = await effects.scheduleOverrides(name).catch((err) => {
      const why = `overrides of schedule ${name} unreadable (${describeError(err)}): paging by its rotations`;
      record(state, Date.now(), 'error', why, quietly);
      return [];
    });
    found.set(name, overrides);
  }
  return found;
}

/** Pages `configured` with a PagerDuty key of its own, as page `page.level` of the incident. */
export async function pageLevel(
  state: IncidentState,
  configured: LadderLevel,
  page: { level: number; channel: 'page' | 'slack'; reason: string; round?: number },
): Promise<void> {
  // A schedule's person is whoever is on call now, at this page: a handoff mid-incident pages the new one.
  const overrides = await overridesFor(state, configured);
  const target = levelReachedAt(configured, Date.now(), (name) => overrides.get(name) ?? []);
  const added = addPage(state, target, page, Date.now());
  if (!added) return;
  const result = await deliver(state, `paging ${target.name}`, () => effects.pageContacts(state, added));
  pageSent(state, added, result, Date.now());
  scheduleFollowUps(state, added, result);
}
