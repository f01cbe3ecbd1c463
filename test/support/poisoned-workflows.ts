/**
 * A deliberately poisoned incident workflow for the watchdog's test: every workflow task it runs fails, as
 * one with a bug (or a spin cut by the loop's budget) would, and Temporal retries it in silence for ever.
 */
export async function incidentWorkflow(): Promise<void> {
  throw new Error('poisoned: this workflow task always fails');
}
