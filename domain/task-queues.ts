/**
 * The incidents' Slack lane has a task queue of its own beside the one their workflows run on: the workers
 * poll it at a pace (slack.maxCallsPerSecond, enforced by Temporal across all of them), so that a storm's
 * chatter waits there instead of in front of the pages.
 */
export function chatTaskQueue(taskQueue: string): string {
  return `${taskQueue}-chat`;
}

/**
 * Runbooks (their workflows and the activities they start, mitigations of up to several minutes among them)
 * run on a queue of their own, so a storm of runbooks cannot hold the activity slots pages need.
 */
export function runbookTaskQueue(taskQueue: string): string {
  return `${taskQueue}-runbooks`;
}

/**
 * The incidents' writes to the system of record (engine revision 4) have a queue of their own, polled by the
 * process that holds the store (the embedded one belongs to one process), so a slow store never holds a page.
 */
export function recordTaskQueue(taskQueue: string): string {
  return `${taskQueue}-record`;
}
