/** The configuration's on-call schedules (`schedules.<name>`): rotation layers, handoffs and restrictions. */
import { z } from 'zod';
import { parseDuration } from './duration';
import { WEEKDAYS, isTimeZone } from '../domain/oncall';

const clockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected a local time "HH:MM"');

/** One rotation of an on-call schedule (like a PagerDuty layer). */
const rotationLayer = z.strictObject({
  name: z.string().min(1),
  /** Contact ids in rotation order. */
  participants: z.array(z.string()).min(1),
  /** Local date and time of the first handoff in the schedule's zone; every handoff is at this time of day. */
  start: z
    .string()
    .regex(
      /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d$/,
      'expected "YYYY-MM-DDTHH:MM"',
    ),
  /** "daily", "weekly", whole days ("3d": same local time, across daylight saving) or hours ("12h"). */
  rotation: z.string().transform((text, ctx) => {
    if (text === 'daily') return { days: 1 };
    if (text === 'weekly') return { days: 7 };
    const ms = parseDuration(text);
    if (ms === undefined || ms < 3_600_000) {
      ctx.addIssue({
        code: 'custom',
        message: `expected "daily", "weekly" or a length of at least 1h, got "${text}"`,
      });
      return z.NEVER;
    }
    return ms % 86_400_000 === 0 ? { days: ms / 86_400_000 } : { ms };
  }),
  /** When set, this layer has someone only inside these windows (e.g. business hours). */
  restrictions: z
    .array(z.strictObject({ days: z.array(z.enum(WEEKDAYS)).min(1), from: clockTime, to: clockTime }))
    .default([]),
});

/**
 * Working hours in the schedule's zone: a severity with `businessHours` pages only inside them (the seed's
 * P3).
 */
const businessHours = z
  .strictObject({
    days: z.array(z.enum(WEEKDAYS)).min(1).default(['mon', 'tue', 'wed', 'thu', 'fri']),
    from: clockTime.default('09:00'),
    to: clockTime.default('17:00'),
  })
  .refine((h) => h.from < h.to, { message: '"to" must be after "from" (business hours within one day)' });

/** An on-call schedule: layers of rotations in one time zone. */
export const schedule = z.strictObject({
  timeZone: z.string().refine(isTimeZone, 'expected an IANA time zone such as "Europe/Berlin"'),
  /** Lowest first: a later layer wins wherever it has someone. */
  layers: z.array(rotationLayer).min(1),
  businessHours: businessHours.optional(),
});
