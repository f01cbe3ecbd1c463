/**
 * Revision 9: the later half of people's notification rules (domain/notification-rules.ts). A page's answer
 * lists what each paged person's rules ask for later ("e-mail after 5 minutes"); each waits here, carried across
 * continue-as-new, and goes out when due if nobody has owned the incident since that page. One acknowledged
 * or resolved after the page makes it moot: it is dropped when due, without a word.
 */
import type { DeliveryResult } from '../../activities/contract';
import { RULES_REVISION } from '../../domain/notification-rules';
import type { PageRecord } from '../../domain/types';
import type { FollowUp, IncidentState } from './state';
import { revisionAtLeast } from './transitions';

/** Follow-ups that may wait at once; more (a storm of pages to people with many rules) drops the latest. */
export const MAX_FOLLOW_UPS = 50;

/** Transition: the follow-ups a delivered page's rules asked for, in due order. */
export function scheduleFollowUps(state: IncidentState, page: PageRecord, result: DeliveryResult): void {
  if (!revisionAtLeast(state, RULES_REVISION) || !result.followUps?.length) return;
  const pagedAt = Date.parse(page.at);
  const queue = [...(state.followUps ?? [])];
  for (const f of result.followUps) {
    const i = page.contactIds.indexOf(f.contactId);
    if (i < 0) continue; // an answer about someone this page did not reach: not ours to send
    queue.push({
      dueAt: pagedAt + f.afterMs,
      pagedAt,
      contactId: f.contactId,
      contact: page.contacts[i] ?? f.contactId,
      channel: f.channel,
      rule: f.rule,
      levelName: page.levelName,
      reason: page.reason.slice(0, 300),
      ...(page.dedupKey ? { dedupKey: page.dedupKey } : {}),
    });
  }
  queue.sort((a, b) => a.dueAt - b.dueAt);
  state.followUps = queue.slice(0, MAX_FOLLOW_UPS);
}

/** Whether one is due (moot ones too: they leave the queue when due, so the loop never waits on the past). */
export function followUpDue(state: IncidentState, now: number): boolean {
  const first = state.followUps?.[0];
  return !!first && first.dueAt <= now;
}

export function followUpWakeAt(state: IncidentState): number | null {
  return state.followUps?.[0]?.dueAt ?? null;
}

/** Still wanted: the incident is triggered, and nobody acknowledged or resolved it since the page. */
export function stillWanted(state: IncidentState, f: FollowUp): boolean {
  const ownedSince = (t: number | null) => t !== null && t >= f.pagedAt;
  return state.status === 'triggered' && !ownedSince(state.acknowledgedAt) && !ownedSince(state.resolvedAt);
}

/** The view's list: who is to hear of it next, how and when. */
export function followUpViews(state: IncidentState) {
  return (state.followUps ?? [])
    .filter((f) => stillWanted(state, f))
    .map((f) => ({ contact: f.contact, channel: f.channel, dueAt: new Date(f.dueAt).toISOString() }));
}
