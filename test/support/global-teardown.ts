import type { RunningService } from '../../scripts/testbed/local-services';

export default async function globalTeardown(): Promise<void> {
  const running = (globalThis as { __runbooksServices?: RunningService[] }).__runbooksServices ?? [];
  await Promise.allSettled(running.map((s) => s.stop()));
}
