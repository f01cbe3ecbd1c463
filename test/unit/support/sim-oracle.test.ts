import { cadenceMismatches, expectedPages, pageMismatchesUnderWaits } from '../../support/sim-oracle';

// Rungs every 4 s; a ladder of 3, repeated once, then the last level again and again.
const cfg = {
  respondWithinMs: { P1: 4000, P2: 8000 },
  ladderLength: 3,
  repeat: 1,
  afterLadder: 'repeat-last',
} as const;
const due = expectedPages(cfg, 'P1', 40_000);
const at = (offsetMs: number, level: number) => ({ offsetMs, level });

describe('the oracle of pages under worker waits', () => {
  test('pages on time agree', () => {
    expect(pageMismatchesUnderWaits(due, due, 15_000, 40_000)).toEqual([]);
  });
  test('a wait may delay a page up to the bound and collapse the rungs it covered into one', () => {
    // Waiting from +3 s to +13 s: rungs 1 (+4 s, level 1) to 3 (+12 s, level 0) come as one page, at +13 s.
    const seen = [at(10, 0), at(13_000, 0), ...due.slice(4)];
    expect(pageMismatchesUnderWaits(due, seen, 15_000, 40_000)).toEqual([]);
  });
  test('a late page ending a wait stands for the latest rung due, not for the next one a second ahead', () => {
    // After the ladder the last level (2) every 4 s: the rungs at +28 s and +32 s paged once at +35 s, and
    // the rung at +36 s then came on time.
    const long = expectedPages(cfg, 'P1', 45_000);
    const seen = [...long.slice(0, 7), at(35_000, 2), at(36_100, 2), at(40_000, 2), at(44_000, 2)];
    expect(pageMismatchesUnderWaits(long, seen, 15_000, 45_000)).toEqual([]);
  });
  test('a page later than the bound, one too early, a wrong level, a skipped rung and a missing one are named', () => {
    const two = [at(0, 0), at(4000, 1)];
    expect(pageMismatchesUnderWaits(two, [at(0, 0), at(20_000, 1)], 15_000, 40_000)).toEqual([
      'page at +20000 ms to level 1 was not due (the next rung: +4000 ms to level 1)',
      'page due at +4000 ms (level 1) never came',
    ]);
    expect(pageMismatchesUnderWaits(due, [at(0, 0), at(2000, 1)], 15_000, 4000)[0]).toMatch(/was not due/);
    expect(pageMismatchesUnderWaits(due, [at(0, 0), at(4000, 2)], 15_000, 4000)[0]).toMatch(/was not due/);
    expect(pageMismatchesUnderWaits(due, [at(0, 0), at(24_000, 0)], 15_000, 24_000)).toContain(
      'rung due at +4000 ms (level 1) was skipped',
    );
    expect(pageMismatchesUnderWaits(due, [at(0, 0)], 15_000, 40_000)).toContain(
      'page due at +4000 ms (level 1) never came',
    );
  });
  test('rungs due within the bound before the end may still be on their way', () => {
    expect(pageMismatchesUnderWaits(due, due.slice(0, 6), 15_000, 30_000)).toEqual([]);
    expect(pageMismatchesUnderWaits(due, due.slice(0, 3), 15_000, 30_000)).toEqual([
      'page due at +12000 ms (level 0) never came',
    ]);
  });
});

test('after the incident was owned, each escalation accounts for one page, up to 10 s after it', () => {
  const page = (offsetMs: number) => ({ offsetMs, level: 1 });
  const check = (pages: number[]) =>
    cadenceMismatches(pages.map(page), 500, 20_000, 60_000, false, [1000], 1000);
  expect(check([0, 3500])).toEqual([]);
  expect(check([0, 3500, 4000])).toEqual(['1 page(s) after the incident was owned at +500 ms']);
  expect(check([0, 12_000])).toEqual(['1 page(s) after the incident was owned at +500 ms']);
});
