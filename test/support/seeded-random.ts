/** mulberry32: small, seedable, good enough to pick a simulation's schedules (the seed replays a run). */
export function seededRandom(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  return { next, int: (n: number) => Math.floor(next() * n), chance: (p: number) => next() < p };
}

export type SeededRandom = ReturnType<typeof seededRandom>;

/** A seed from the environment variable `name` when set (to replay a run), else a fresh one. */
export function seedFrom(name: string): number {
  const given = process.env[name]?.trim();
  return given ? Number(given) : Math.floor(Math.random() * 2 ** 31);
}
