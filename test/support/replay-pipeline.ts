/**
 * Replays recorded histories on several workflow bundles while the test that recorded them goes on: each
 * batch handed to `add` replays after the batch before it, so replay runs one batch behind the recording.
 *
 * The replay worker runs in debug mode unless told otherwise, which executes workflow code on the caller's
 * own thread, one bundle after the other (85 s of a 194 s simulation). `debugMode: false` moves it to the
 * worker threads; ReplayWorkerOptions leaves the field out of its type, though the replay worker reads it.
 */
import type { HistoryAndWorkflowId } from '@temporalio/client';
import { Worker, type ReplayWorkerOptions, type WorkflowBundleWithSourceMap } from '@temporalio/worker';

export type RecordedHistory = HistoryAndWorkflowId;

export interface NamedBundle {
  name: string;
  bundle: WorkflowBundleWithSourceMap | { code: string };
}

export class ReplayPipeline {
  /** Every history handed to `add`, in order. */
  readonly histories: RecordedHistory[] = [];
  private readonly problems: string[] = [];
  private tail: Promise<void> = Promise.resolve();

  constructor(private readonly bundles: NamedBundle[]) {}

  /** Queues a batch behind the one before it; returns at once. */
  add(batch: RecordedHistory[]): void {
    this.histories.push(...batch);
    this.tail = this.tail.then(() => this.replay(batch));
  }

  /** Waits for every queued batch; returns one line per history that does not replay on a bundle. */
  async finish(): Promise<string[]> {
    await this.tail;
    return this.problems;
  }

  private async replay(batch: RecordedHistory[]): Promise<void> {
    await Promise.all(
      this.bundles.map(async ({ name, bundle }) => {
        try {
          const options = { workflowBundle: bundle, debugMode: false } as ReplayWorkerOptions;
          for await (const result of Worker.runReplayHistories(options, batch))
            if (result.error)
              this.problems.push(`${result.workflowId}: does not replay on ${name}: ${result.error.message}`);
        } catch (err) {
          this.problems.push(`replay on ${name} failed: ${(err as Error).message}`);
        }
      }),
    );
  }
}
