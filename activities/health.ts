import axios from 'axios';
import { activityAbortSignal } from './cancellation';
import type { HealthCheckResult } from './contract';

/** The seed's `curl -f <url>/health`: 2xx within the timeout is healthy; the body's status is reported. */
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
        const bodyStatus =
          typeof res.data === 'object' && res.data && 'status' in res.data
            ? ` ${String((res.data as { status: unknown }).status)}`
            : '';
        const ok = res.status >= 200 && res.status < 300;
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
  return { healthy: checks.every((c) => c.ok), checks };
}
