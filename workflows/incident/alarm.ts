/**
 * The incident loop's one timer. Waking for a message used to cancel the timer and start it again for the
 * same deadline: two more events and two timer tasks on the server per message. The alarm keeps its timer
 * while the deadline stands, and replaces it only when the deadline moves.
 */
import { CancellationScope, sleep } from '@temporalio/workflow';

/**
 * The server starts a timer when the workflow task that asked for it completes, not at the task's `now`: a
 * task that spends a second in local activities (the policy, maintenance and on-call lookups of a cold
 * worker) would make the next rung a second late. The alarm rings this much early instead, and is set again
 * for the rest of the wait.
 */
const LEAD_MS = 1000;

export class Alarm {
  private at: number | null = null;
  private fired = false;
  private scope: CancellationScope | null = null;

  /** Rings at `at` (epoch ms), or never for null; the same deadline again keeps the timer running. */
  set(at: number | null, now: number): void {
    const early = this.fired && at !== null && at > now;
    if (at === this.at && !early) return;
    if (this.scope && !this.fired) this.scope.cancel();
    this.at = at;
    this.fired = at !== null && at <= now;
    this.scope = null;
    if (at === null || this.fired) return;
    const scope = new CancellationScope();
    this.scope = scope;
    const lead = at - now > 2 * LEAD_MS ? LEAD_MS : 0;
    scope
      .run(() => sleep(at - now - lead))
      .then(
        () => void (this.scope === scope && (this.fired = true)),
        () => undefined, // cancelled: the deadline moved
      );
  }

  /** Whether the alarm rang (on time or a little early) since the deadline was last set. */
  get rang(): boolean {
    return this.fired;
  }
}
