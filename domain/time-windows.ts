/**
 * What the overrides and maintenance workflows share: a list of time windows that forgets the ones that
 * ended, and a run that continues as new once it has served enough changes.
 */
import { allHandlersFinished, condition, workflowInfo } from '@temporalio/workflow';

/** Changes per run before continuing as new: each costs a few events, far below Temporal's limits. */
const CHANGES_PER_RUN = 500;

export class TimeWindows<T extends { from: number; to: number }> {
  private items: T[];
  private changes = 0;
  constructor(initial: readonly T[] = []) {
    this.items = [...initial];
  }
  /** The windows that have not ended by workflow time. */
  current(): T[] {
    const now = Date.now();
    this.items = this.items.filter((w) => w.to > now);
    return this.items;
  }
  /** Replaces the list (kept in start order); counts as a change. */
  set(next: T[]): void {
    this.changes += 1;
    this.items = [...next].sort((a, b) => a.from - b.from);
  }
  /** Resolves when the run should continue as new, with no handler left mid-way. */
  async long(): Promise<void> {
    await condition(() => this.changes >= CHANGES_PER_RUN || workflowInfo().continueAsNewSuggested);
    await condition(allHandlersFinished);
  }
}
