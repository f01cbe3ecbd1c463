/** Where the API listens unless API_PORT says otherwise (`npm start`, `durable-runbooks api`). */
export const DEFAULT_API_PORT = 8089;

/** This machine's own API, as `npm start` runs it: loopback, on API_PORT or the default. */
export function localApiUrl(env: NodeJS.ProcessEnv): string {
  return `http://127.0.0.1:${env.API_PORT?.trim() || DEFAULT_API_PORT}`;
}
