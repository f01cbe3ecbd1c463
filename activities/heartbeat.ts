import { Context } from '@temporalio/activity';

/**
 * Heartbeats every second while `work` runs: a mutation's activity has a short heartbeat timeout, so a
 * worker killed mid-step is noticed within seconds and the retry (which checks state first) takes over.
 */
export function heartbeatWhile<T>(work: Promise<T>, detail: string): Promise<T> {
  let ctx: Context | undefined;
  try {
    ctx = Context.current();
  } catch {
    return work; // called outside an activity (scripts)
  }
  const timer = setInterval(() => ctx!.heartbeat(detail), 1000);
  return work.finally(() => clearInterval(timer));
}
