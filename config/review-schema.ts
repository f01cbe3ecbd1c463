/**
 * `review`: where the post-incident review is written, and its meeting. The seed holds the review within 24
 * hours: at close (engine revision 8) the meeting is proposed to everyone who responded, the commander is
 * reminded if it is not confirmed after `remindCommanderAfter`, and the thread at `reminderAfter`.
 */
import { z } from 'zod';
import { duration } from './zod-types';

const meeting = z
  .strictObject({
    /** The meeting starts this long after the close at the earliest (the next half hour, in business hours). */
    after: duration.default(14_400_000 as never),
    /** The seed's 1-hour blameless review. */
    duration: duration.default(3_600_000 as never),
    /** The commander (else the acknowledger) is reminded when nobody confirmed the meeting by then. */
    remindCommanderAfter: duration.default(7_200_000 as never),
  })
  .prefault({});

export const reviewSchema = z
  .strictObject({
    directory: z.string().min(1).default('incidents'),
    /** The thread is reminded when the review is still not scheduled this long after the close. */
    reminderAfter: duration.default(86_400_000 as never),
    meeting,
  })
  .prefault({});
