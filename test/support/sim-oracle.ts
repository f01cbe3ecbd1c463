/**
 * The simulation's oracle: when an unacknowledged incident must page, written from the documented rules
 * alone (docs/concepts.md), not from `ladder.ts`. Rung k is due k × respondWithin after the incident
 * opened; it pages level k mod L for the ladder's L × (repeat + 1) rungs, then the last level for ever
 * (`afterLadder: repeat-last`) or nobody (`stop`). People stop being paged once someone acknowledges or
 * resolves.
 */
import type { Severity } from '../../domain/types';

export interface OracleConfig {
  respondWithinMs: Record<'P1' | 'P2', number>;
  ladderLength: number;
  repeat: number;
  afterLadder: 'repeat-last' | 'stop';
}

export interface ExpectedPage {
  offsetMs: number;
  level: number;
}

/** The ladder pages due from the opening until `untilMs` (exclusive; the ack, the resolve or the end). */
export function expectedPages(
  cfg: OracleConfig,
  severity: Exclude<Severity, 'P3'>,
  untilMs: number,
): ExpectedPage[] {
  const every = cfg.respondWithinMs[severity];
  const rungs = cfg.ladderLength * (cfg.repeat + 1);
  const pages: ExpectedPage[] = [];
  for (let k = 0; k * every < untilMs; k++) {
    if (k >= rungs && cfg.afterLadder === 'stop') break;
    pages.push({ offsetMs: k * every, level: k < rungs ? k % cfg.ladderLength : cfg.ladderLength - 1 });
  }
  return pages;
}

export interface SeenPage {
  offsetMs: number;
  level: number;
}

/** What differs between the pages seen and the pages due (±toleranceMs), in words; empty when they agree. */
export function pageMismatches(
  expected: readonly ExpectedPage[],
  seen: readonly SeenPage[],
  toleranceMs = 1000,
): string[] {
  const problems: string[] = [];
  const n = Math.max(expected.length, seen.length);
  for (let i = 0; i < n; i++) {
    const e = expected[i];
    const s = seen[i];
    if (!e) problems.push(`page ${i} at +${s.offsetMs} ms (level ${s.level}) was not due`);
    else if (!s) problems.push(`page ${i} due at +${e.offsetMs} ms (level ${e.level}) never came`);
    else if (Math.abs(s.offsetMs - e.offsetMs) > toleranceMs || s.level !== e.level)
      problems.push(
        `page ${i}: due at +${e.offsetMs} ms to level ${e.level}, came at +${s.offsetMs} ms to level ${s.level}`,
      );
  }
  return problems;
}

/** How long after a person's `escalate` its page may come and still be the one they asked for. */
export const ASKED_WITHIN_MS = 10_000;

/**
 * The looser promise for scenarios whose severity changes or that are escalated by hand: pages keep their
 * order, none comes after the incident was owned but one a person asked for (`escalate`, which pages the
 * next level whoever holds the incident), and while it is unowned under repeat-last no gap between pages
 * (or from the last page to the end) exceeds the slowest cadence involved.
 */
export function cadenceMismatches(
  seen: readonly SeenPage[],
  ownedAtMs: number | null,
  endMs: number,
  maxGapMs: number,
  repeatLast: boolean,
  escalatedAtMs: readonly number[] = [],
  toleranceMs = 1000,
): string[] {
  const problems: string[] = [];
  for (let i = 1; i < seen.length; i++)
    if (seen[i].offsetMs < seen[i - 1].offsetMs) problems.push(`page ${i} came before page ${i - 1}`);
  if (ownedAtMs !== null) {
    // Each escalation accounts for one page, sent once the loop has taken the command: on a loaded 2-core
    // box that has been 2.5 s after it (seed 335934701), so the page may come up to ASKED_WITHIN_MS later.
    const unused = [...escalatedAtMs];
    const asked = (p: SeenPage) => {
      const i = unused.findIndex((t) => p.offsetMs >= t - toleranceMs && p.offsetMs <= t + ASKED_WITHIN_MS);
      return i >= 0 && unused.splice(i, 1).length > 0;
    };
    const late = seen.filter((p) => p.offsetMs > ownedAtMs + toleranceMs && !asked(p));
    if (late.length) problems.push(`${late.length} page(s) after the incident was owned at +${ownedAtMs} ms`);
  }
  if (!seen.length) return [...problems, 'never paged'];
  if (repeatLast) {
    const stop = ownedAtMs ?? endMs;
    const times = [...seen.map((p) => p.offsetMs).filter((t) => t <= stop), stop];
    for (let i = 1; i < times.length; i++)
      if (times[i] - times[i - 1] > maxGapMs + toleranceMs)
        problems.push(
          `no page for ${times[i] - times[i - 1]} ms after +${times[i - 1]} ms (cadence ${maxGapMs} ms)`,
        );
  }
  return problems;
}

/**
 * The promise when workers come and go (deploys, restarts, a lost task waiting out its timeout): every rung
 * pages, never early (−toleranceMs), at most `lateMs` late; rungs that fell due while the incident waited may
 * collapse into the page that ends the wait (no burst after downtime), when that page comes within `lateMs` of
 * them. A rung is required once it has been due for `lateMs` before `requiredUntilMs` (the ownership or the
 * end); later ones may come or not.
 */
export function pageMismatchesUnderWaits(
  expected: readonly ExpectedPage[],
  seen: readonly SeenPage[],
  lateMs: number,
  requiredUntilMs: number,
  toleranceMs = 1000,
): string[] {
  const problems: string[] = [];
  let next = 0;
  for (const page of seen) {
    // The latest rung due by then (a page ending a wait stands for it), else one a little ahead (clocks).
    const fits = (k: number, early: number) =>
      expected[k].level === page.level &&
      page.offsetMs - expected[k].offsetMs <= lateMs &&
      expected[k].offsetMs <= page.offsetMs + early;
    let match = -1;
    for (let k = next; k < expected.length && expected[k].offsetMs <= page.offsetMs; k++)
      if (fits(k, 0)) match = k;
    if (match < 0)
      for (let k = next; k < expected.length && match < 0; k++) if (fits(k, toleranceMs)) match = k;
    if (match < 0) {
      const due = expected[next];
      problems.push(
        `page at +${page.offsetMs} ms to level ${page.level} was not due` +
          (due ? ` (the next rung: +${due.offsetMs} ms to level ${due.level})` : ''),
      );
      continue;
    }
    for (let k = next; k < match; k++)
      if (page.offsetMs - expected[k].offsetMs > lateMs)
        problems.push(`rung due at +${expected[k].offsetMs} ms (level ${expected[k].level}) was skipped`);
    next = match + 1;
  }
  for (let k = next; k < expected.length; k++)
    if (expected[k].offsetMs + lateMs < requiredUntilMs)
      problems.push(`page due at +${expected[k].offsetMs} ms (level ${expected[k].level}) never came`);
  return problems;
}
