export { incidentWorkflow } from './incident/index';
export { reviewReminderWorkflow } from './review-reminder';
export { runbookWorkflow } from './runbook';
export { onCallOverridesWorkflow } from './oncall-overrides';
export { maintenanceWorkflow } from './maintenance';
export { runbookInterpreterWorkflow } from './runbook-interpreter';
export { restartLedgerWorkflow } from './restart-ledger';
export { runbookRehearsalWorkflow } from './runbook-rehearsal';
