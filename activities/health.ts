import axios from 'axios';
import { redactDeep } from '../domain/credentials';
import { activityAbortSignal } from './cancellation';
import type { HealthCheckResult } from './contract';

/**
 * The seed's `curl -f <url>/health`, expecting `{"status": "healthy"}`: 2xx within the timeout is healthy,
 * unless the body says a status other than healthy/ok/up (a 200 that reports "degraded" is not healthy).
 */
const HEALTHY_WORDS = new Set(['healthy', 'ok', 'up', 'pass']);

export async function checkServiceHealth(
  { urls }: { urls: string[] },
  timeoutMs = 5000,
): Promise<HealthCheckResult> {
  const checks = await Promise.all(
    urls.map(async (url) => {
      try {
        const res = await axios.get(url, {
          timeout: timeoutMs,
          validateStatus: () => true,
          signal: activityAbortSignal(),
        });
        const said =
          typeof res.data === 'object' && res.data && 'status' in res.data
            ? String((res.data as { status: unknown }).status).slice(0, 40)
            : null;
        const bodyStatus = said === null ? '' : ` ${said}`;
        const ok =
          res.status >= 200 && res.status < 300 && (said === null || HEALTHY_WORDS.has(said.toLowerCase()));
        return { url, ok, status: res.status, detail: `${res.status}${bodyStatus}` };
      } catch (err) {
        return {
          url,
          ok: false,
          status: null,
          detail: `unreachable (${(err as { code?: string }).code ?? (err as Error).message})`,
        };
      }
    }),
  );
  // A health URL may carry credentials (`https://user:password@…`): what goes to people and history has none.
  return redactDeep({ healthy: checks.every((c) => c.ok), checks });
}
