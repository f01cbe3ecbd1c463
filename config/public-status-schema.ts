import { z } from 'zod';

/**
 * The public status page (`/status`): what it is called. What it says comes from responders (their updates
 * and overrides, through the API) and from the open incidents of `services.<name>.customerFacing` services.
 * (`statusPage` is the adapter of an external status page.)
 */
export const publicStatusSchema = z
  .strictObject({
    title: z.string().trim().min(1).max(200).default('Service status'),
  })
  .prefault({});
