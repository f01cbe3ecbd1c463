/**
 * The least a Temporal application can do per alert, for `bench:cluster`'s floor (BENCH_FLOOR=1): started
 * with a signal as the intake starts an incident, one activity (the page), then open until resolved. It
 * puts a number on what the server and its database spend per incident before any of our logic.
 */
import { condition, defineSignal, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';

export const floorAlertSignal = defineSignal<[string]>('alert');
export const floorResolveSignal = defineSignal('resolve');

export interface FloorActivities {
  page(workflowId: string): Promise<void>;
}

const { page } = proxyActivities<FloorActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 8 },
});

export async function floorIncident(): Promise<void> {
  let resolved = false;
  setHandler(floorAlertSignal, () => undefined);
  setHandler(floorResolveSignal, () => void (resolved = true));
  await page(workflowInfo().workflowId);
  await condition(() => resolved);
}
