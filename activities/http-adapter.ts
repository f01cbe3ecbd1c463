import axios from 'axios';
import { activityAbortSignal } from './cancellation';
import type { DeliveryResult } from './contract';
import { failureForStatus } from './retry';
import { readSecret, type Env } from './secrets';

export interface HttpAdapterConfig {
  url: string;
  tokenEnv?: string;
  extraFields: Record<string, unknown>;
}

/** Small JSON-over-HTTP adapter for ticket systems and status pages: configured URL, body, bearer token. */
export async function postToAdapter(
  system: string,
  adapter: HttpAdapterConfig,
  body: Record<string, unknown>,
  env: Env,
): Promise<DeliveryResult> {
  const token = readSecret(env, adapter.tokenEnv);
  let response;
  try {
    response = await axios.post(
      adapter.url,
      { ...adapter.extraFields, ...body },
      {
        timeout: 10_000,
        validateStatus: () => true,
        signal: activityAbortSignal(),
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
      },
    );
  } catch (err) {
    // The axios error carries the request (and its token); only the code leaves this function.
    throw failureForStatus(`${system} (${(err as { code?: string }).code ?? 'network error'})`, 503);
  }
  if (response.status >= 200 && response.status < 300) {
    const ref = (response.data as { id?: unknown; url?: unknown } | undefined) ?? {};
    const id = typeof ref.id === 'string' || typeof ref.id === 'number' ? ` #${ref.id}` : '';
    return { delivered: true, detail: `${system}${id} accepted (${response.status})` };
  }
  throw failureForStatus(system, response.status, response.headers['retry-after'] as string | undefined);
}
