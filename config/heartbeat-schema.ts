/**
 * Heartbeats (a dead man's switch): a sender that must be heard from every `interval`. A beat is
 * `POST /heartbeats/<name>`, or an always-firing alert (Alertmanager's `Watchdog`) whose alertname is in
 * `routing.heartbeatAlertnames`. Missed for `interval` + `grace`, the heartbeat opens an incident for its
 * service; the next beat resolves it.
 */
import { z } from 'zod';
import { duration } from './zod-types';

/** A heartbeat's name: it is part of a URL and of workflow ids. */
export const HEARTBEAT_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

const heartbeat = z.strictObject({
  interval: duration,
  /** How late a beat may be before it is missed. */
  grace: duration.default(60_000 as never),
  /** The service the incident is for (its team, policy and runbooks). */
  service: z.string().min(1),
  severity: z.enum(['P1', 'P2', 'P3']).default('P2'),
});

export const heartbeatsSchema = z
  .record(z.string().regex(HEARTBEAT_NAME, 'expected a name like "alertmanager-prod"'), heartbeat)
  .default({});
