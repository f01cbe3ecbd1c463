export { incidentWorkflow } from './incident';
export { reviewReminderWorkflow } from './review-reminder';
