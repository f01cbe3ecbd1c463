export { incidentWorkflow } from './incident';
export { reviewReminderWorkflow } from './review-reminder';
export { runbookWorkflow } from './runbook';
