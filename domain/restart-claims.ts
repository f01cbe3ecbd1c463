/** The restart ledger's messages: how a runbook claims one restart of a container's budget. */
import { defineQuery, defineUpdate } from '@temporalio/workflow';

export interface RestartClaimRequest {
  /** Who claims: the runbook's workflow id and step. A retried claim by the same claimant is granted again, not counted twice. */
  claimant: string;
  /** Restarts allowed per window. */
  budget: number;
  windowMs: number;
}

export interface RestartClaim {
  claimant: string;
  at: number;
  /** When the claim stops counting against the budget. */
  until: number;
}

export interface RestartClaimAnswer {
  granted: boolean;
  /** Claims counting now, this one included when granted. */
  used: number;
  budget: number;
  /** Who holds the budget (for the refusal's message). */
  holders: string[];
}

export const claimRestartUpdate = defineUpdate<RestartClaimAnswer, [RestartClaimRequest]>('claimRestart');
export const restartClaimsQuery = defineQuery<RestartClaim[]>('restartClaims');

export const restartLedgerWorkflowId = (container: string) => `restart-ledger-${container}`;
