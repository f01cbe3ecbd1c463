/**
 * One small long-running workflow per on-call schedule (`oncall-<schedule>`) holding its overrides: changed
 * by Updates whose validators refuse overlapping or past overrides with the reason, read by a query when a
 * page resolves who is on call. Expired overrides are dropped; it continues as new before its history grows.
 */
import { continueAsNew, setHandler, uuid4 } from '@temporalio/workflow';
import {
  addOverrideUpdate,
  overridesQuery,
  removeOverrideUpdate,
  ONCALL_DESCRIPTIONS,
  type AddOverrideArgs,
} from '../../domain/messages';
import { overrideRefusal, type StoredOverride } from '../../domain/oncall';
import { TimeWindows } from '../../domain/time-windows';

export interface OnCallOverridesInput {
  schedule: string;
  overrides?: StoredOverride[];
}

export async function onCallOverridesWorkflow(input: OnCallOverridesInput): Promise<void> {
  const overrides = new TimeWindows<StoredOverride>(input.overrides);
  const current = () => overrides.current();

  setHandler(overridesQuery, () => current(), { description: ONCALL_DESCRIPTIONS.overrides });
  setHandler(
    addOverrideUpdate,
    (args: AddOverrideArgs) => {
      const added: StoredOverride = {
        id: uuid4().slice(0, 8),
        contactId: args.contactId,
        from: args.from,
        to: args.to,
        by: args.by,
        ...(args.reason ? { reason: args.reason } : {}),
      };
      overrides.set([...current(), added]);
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
      overrides.set(current().filter((o) => o.id !== id));
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

  await overrides.long();
  await continueAsNew<typeof onCallOverridesWorkflow>({ schedule: input.schedule, overrides: current() });
}
