/** The labels our changes put on containers (tests and the demo stack read them too). */
export const PREVIOUS_IMAGE_LABEL = 'durable-runbooks.previous-image';
/** On a replica made by `scaleOut`: the container it replicates. */
export const REPLICA_OF_LABEL = 'durable-runbooks.replica-of';
