/**
 * One small long-running workflow per service (`maintenance-<service>`) holding its maintenance windows:
 * an incident opened during one is suppressed (no page, no runbook) and opens when the window ends if its
 * alert still fires. Changed by validated Updates; ended windows are dropped; continues as new when long.
 */
import { continueAsNew, setHandler, uuid4 } from '@temporalio/workflow';
import {
  endMaintenanceUpdate,
  maintenanceQuery,
  startMaintenanceUpdate,
  MAINTENANCE_DESCRIPTIONS,
  MAX_MAINTENANCE_MS,
  type MaintenanceWindow,
  type StartMaintenanceArgs,
} from '../../domain/messages';
import { windowRefusal } from '../../domain/oncall';
import { TimeWindows } from '../../domain/time-windows';

export interface MaintenanceInput {
  service: string;
  windows?: MaintenanceWindow[];
}

/** Why a window cannot be opened at `now`, or null. */
export function maintenanceRefusal(args: StartMaintenanceArgs, now: number): string | null {
  const from = args.from ?? now;
  if (typeof args.by !== 'string' || !args.by) return 'by: required';
  const invalid = windowRefusal(from, args.to, now);
  if (invalid) return invalid;
  if (args.to - from > MAX_MAINTENANCE_MS) return 'longer than 7 days: open a new window when this one ends';
  return null;
}

export async function maintenanceWorkflow(input: MaintenanceInput): Promise<void> {
  const windows = new TimeWindows<MaintenanceWindow>(input.windows);
  const current = () => windows.current();

  setHandler(maintenanceQuery, () => current(), { description: MAINTENANCE_DESCRIPTIONS.maintenance });
  setHandler(
    startMaintenanceUpdate,
    (args) => {
      const window: MaintenanceWindow = {
        id: uuid4().slice(0, 8),
        from: args.from ?? Date.now(),
        to: args.to,
        by: args.by,
        ...(args.reason ? { reason: args.reason.slice(0, 500) } : {}),
      };
      windows.set([...current(), window]);
      return window;
    },
    {
      validator: (args) => {
        const why = maintenanceRefusal(args, Date.now());
        if (why) throw new Error(`maintenance refused: ${why}`);
      },
      description: MAINTENANCE_DESCRIPTIONS.startMaintenance,
    },
  );
  setHandler(
    endMaintenanceUpdate,
    (_args: { by: string }) => {
      const now = Date.now();
      // Windows under way end now; future ones stay.
      windows.set(current().filter((w) => w.from > now));
      return current();
    },
    {
      validator: (_args: { by: string }) => {
        if (!current().some((w) => w.from <= Date.now()))
          throw new Error(`no maintenance under way for ${input.service}`);
      },
      description: MAINTENANCE_DESCRIPTIONS.endMaintenance,
    },
  );

  await windows.long();
  await continueAsNew<typeof maintenanceWorkflow>({ service: input.service, windows: current() });
}
