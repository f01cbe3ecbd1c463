/**
 * The restart budget's durable ledger (`workflows/ledger/restart-ledger.ts`), claimed through Temporal itself:
 * update-with-start creates the container's ledger on the first claim and finds it on the next.
 */
import { Context } from '@temporalio/activity';
import { WithStartWorkflowOperation } from '@temporalio/client';
import {
  claimRestartUpdate,
  restartLedgerWorkflowId,
  type RestartClaimAnswer,
  type RestartClaimRequest,
} from '../domain/restart-claims';

/** The ledger's workflow type, by name: activities sit below the workflows they start. */
const RESTART_LEDGER_WORKFLOW = 'restartLedgerWorkflow';

export async function claimRestart(
  args: RestartClaimRequest & { container: string },
): Promise<RestartClaimAnswer> {
  const { client, info } = Context.current();
  const { container, ...request } = args;
  return client.workflow.executeUpdateWithStart(claimRestartUpdate, {
    args: [request],
    startWorkflowOperation: new WithStartWorkflowOperation(RESTART_LEDGER_WORKFLOW, {
      workflowId: restartLedgerWorkflowId(container),
      taskQueue: info.taskQueue,
      workflowIdConflictPolicy: 'USE_EXISTING',
      args: [{}],
    }),
  });
}
