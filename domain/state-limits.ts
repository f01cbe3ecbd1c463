/**
 * Byte limits of an incident's carried state (see workflows/incident/state-bound.ts), shared with the
 * configuration schema, which bounds what may be kept so the state stays under them.
 */
/** The carried state must stay far below Temporal's 2 MB payload limit, whatever it was sent. */
export const STATE_BYTE_BOUND = 1_800_000;

/** Bytes of a timeline entry and of a source alert at the state's own clipping, in ASCII (the config bound). */
export const TIMELINE_ENTRY_BYTES = 1_150;
export const SOURCE_ALERT_BYTES = 4_700;
/** What the configurable parts may take together, leaving room for the rest of the state. */
export const CONFIGURABLE_STATE_BYTES = 1_400_000;
