/** The incidents' task queue: the intake starts workflows on it and the workers poll it. */
export const TASK_QUEUE = process.env.TEMPORAL_TASK_QUEUE ?? 'incident-response';
