import { z } from 'zod';
import { DEFAULT_FIRST_MESSAGE } from '../domain/status-page';

/**
 * The public status page (`/status`): what it is called. What it says comes from responders (their updates
 * and overrides, through the API) and from the open incidents of `services.<name>.customerFacing` services.
 * (`statusPage` is the adapter of an external status page.)
 */
export const publicStatusSchema = z
  .strictObject({
    title: z.string().trim().min(1).max(200).default('Service status'),
    /**
     * What the page (and an external one's adapter) says when a customer-facing incident opens, until a
     * responder writes: neutral, never the alert's text. `{service}` is replaced by the service's name.
     */
    firstMessage: z.string().trim().min(1).max(1000).default(DEFAULT_FIRST_MESSAGE),
  })
  .prefault({});
