/** Field types shared by the configuration and the runbook definitions. */
import { z } from 'zod';
import { parseDuration } from './duration';

/** "15m", "1h30m", "250ms" → milliseconds. */
export const duration = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) {
    ctx.addIssue({ code: 'custom', message: `expected a duration like "15m" or "1h", got "${text}"` });
    return z.NEVER;
  }
  return ms;
});

export const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'expected the name of an environment variable');
