/**
 * The restart budget of one container, as a small workflow that every runbook claims from through an
 * Update. Docker's event log is daemon-wide, keeps the last 256 events and is lost with the daemon; two
 * incidents reading it at once could both see room for one more restart. Updates on one workflow are
 * applied one at a time, so two claims for the last restart cannot both be granted.
 */
import { allHandlersFinished, condition, continueAsNew, setHandler } from '@temporalio/workflow';
import {
  claimRestartUpdate,
  restartClaimsQuery,
  type RestartClaim,
  type RestartClaimAnswer,
  type RestartClaimRequest,
} from '../../domain/restart-claims';

/** Pure: the claims still counting at `now`, and the answer to a request (the new claim included if granted). */
export function decideClaim(
  claims: readonly RestartClaim[],
  request: RestartClaimRequest,
  now: number,
): { claims: RestartClaim[]; answer: RestartClaimAnswer } {
  const live = claims.filter((c) => c.until > now);
  const answer = (granted: boolean, list: RestartClaim[]) => ({
    claims: list,
    answer: { granted, used: list.length, budget: request.budget, holders: list.map((c) => c.claimant) },
  });
  if (live.some((c) => c.claimant === request.claimant)) return answer(true, live);
  if (live.length >= request.budget) return answer(false, live);
  return answer(true, [...live, { claimant: request.claimant, at: now, until: now + request.windowMs }]);
}

function validRequest(r: RestartClaimRequest): void {
  if (typeof r?.claimant !== 'string' || !r.claimant || r.claimant.length > 500)
    throw new Error('claimant must be a non-empty text');
  if (!Number.isInteger(r.budget) || r.budget < 0) throw new Error('budget must be a whole number ≥ 0');
  if (typeof r.windowMs !== 'number' || !(r.windowMs > 0)) throw new Error('windowMs must be > 0');
}

const CONTINUE_AS_NEW_AFTER = 500;

export async function restartLedgerWorkflow(carried?: { claims?: RestartClaim[] }): Promise<void> {
  let claims: RestartClaim[] = Array.isArray(carried?.claims) ? carried.claims : [];
  let changes = 0;
  setHandler(
    claimRestartUpdate,
    (request) => {
      const decided = decideClaim(claims, request, Date.now());
      if (decided.claims.length !== claims.length || decided.answer.granted) changes += 1;
      claims = decided.claims;
      return decided.answer;
    },
    {
      validator: validRequest,
      description: 'Claim one restart of this container from its budget; answers whether it is granted.',
    },
  );
  setHandler(restartClaimsQuery, () => claims.filter((c) => c.until > Date.now()), {
    description: 'The restarts that count against the budget now.',
  });
  // Lives while a claim counts; a claim after that starts a new ledger (update-with-start).
  for (;;) {
    const seen = changes;
    const lastExpiry = Math.max(0, ...claims.map((c) => c.until));
    const wait = lastExpiry - Date.now();
    if (wait > 0) await condition(() => changes !== seen, wait);
    else await condition(() => changes !== seen, 1000);
    claims = claims.filter((c) => c.until > Date.now());
    if (!claims.length && changes === seen) break;
    if (changes >= CONTINUE_AS_NEW_AFTER) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof restartLedgerWorkflow>({ claims });
    }
  }
  await condition(allHandlersFinished);
}
