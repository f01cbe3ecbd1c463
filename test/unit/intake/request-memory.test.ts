/** A replica's own memory of the signed requests it handled (the store's is tested with the store). */
import { localRequestMemory } from '../../../intake/request-memory';

test('the first claim handles the request; a replay within the window does not; after it, or released, it does', async () => {
  let now = 0;
  const memory = localRequestMemory(() => now);
  expect(await memory.claim('slack:v0=a', 600_000)).toBe(true);
  expect(await memory.claim('slack:v0=a', 600_000)).toBe(false);
  expect(await memory.claim('slack:v0=b', 600_000)).toBe(true);
  now = 599_999;
  expect(await memory.claim('slack:v0=a', 600_000)).toBe(false);
  now = 600_000;
  expect(await memory.claim('slack:v0=a', 600_000)).toBe(true);
  await memory.release('slack:v0=a');
  expect(await memory.claim('slack:v0=a', 600_000)).toBe(true);
});

test('bounded: past its size the oldest claims are forgotten first', async () => {
  const memory = localRequestMemory(() => 0, 3);
  for (const key of ['a', 'b', 'c', 'd']) expect(await memory.claim(key, 60_000)).toBe(true);
  expect(await memory.claim('d', 60_000)).toBe(false);
  expect(await memory.claim('a', 60_000)).toBe(true); // forgotten to make room
});
