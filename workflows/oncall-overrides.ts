/**
 * One small long-running workflow per on-call schedule (`oncall-<schedule>`) holding its overrides: changed
 * by Updates whose validators refuse overlapping or past overrides with the reason, read by a query when a
 * page resolves who is on call. Expired overrides are dropped; it continues as new before its history grows.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  setHandler,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import {
  addOverrideUpdate,
  overridesQuery,
  removeOverrideUpdate,
  ONCALL_DESCRIPTIONS,
  type AddOverrideArgs,
} from './messages';
import { overrideRefusal, type StoredOverride } from './oncall';

export interface OnCallOverridesInput {
  schedule: string;
  overrides?: StoredOverride[];
}

/** Updates per run before continuing as new: each costs a few events; far below Temporal's limits. */
const UPDATES_PER_RUN = 500;

export async function onCallOverridesWorkflow(input: OnCallOverridesInput): Promise<void> {
  let overrides: StoredOverride[] = [...(input.overrides ?? [])];
  let updates = 0;
  const current = () => {
    const now = Date.now();
    overrides = overrides.filter((o) => o.to > now);
    return overrides;
  };

  setHandler(overridesQuery, () => current(), { description: ONCALL_DESCRIPTIONS.overrides });
  setHandler(
    addOverrideUpdate,
    (args: AddOverrideArgs) => {
      updates += 1;
      const added: StoredOverride = {
        id: uuid4().slice(0, 8),
        contactId: args.contactId,
        from: args.from,
        to: args.to,
        by: args.by,
        ...(args.reason ? { reason: args.reason } : {}),
      };
      overrides = [...current(), added].sort((a, b) => a.from - b.from);
      return added;
    },
    {
      validator: (args: AddOverrideArgs) => {
        if (typeof args?.contactId !== 'string' || !args.contactId) throw new Error('contactId: required');
        if (typeof args.by !== 'string' || !args.by) throw new Error('by: required');
        const why = overrideRefusal(current(), args, Date.now());
        if (why) throw new Error(`override refused: ${why}`);
      },
      description: ONCALL_DESCRIPTIONS.addOverride,
    },
  );
  setHandler(
    removeOverrideUpdate,
    ({ id }) => {
      updates += 1;
      overrides = current().filter((o) => o.id !== id);
      return current();
    },
    {
      validator: ({ id }) => {
        if (!current().some((o) => o.id === id))
          throw new Error(`no override ${String(id)} on ${input.schedule}`);
      },
      description: ONCALL_DESCRIPTIONS.removeOverride,
    },
  );

  await condition(() => updates >= UPDATES_PER_RUN || workflowInfo().continueAsNewSuggested);
  await condition(allHandlersFinished);
  await continueAsNew<typeof onCallOverridesWorkflow>({ schedule: input.schedule, overrides: current() });
}
