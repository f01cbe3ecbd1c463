import type Docker from 'dockerode';

/** The Docker Engine's own record of what happened to a container since an instant (test-side check). */
export async function engineActions(
  docker: Docker,
  container: string,
  sinceMs: number,
  kinds: string[],
): Promise<string[]> {
  const stream = (await docker.getEvents({
    since: Math.floor(sinceMs / 1000) - 1,
    until: Math.ceil(Date.now() / 1000),
    filters: JSON.stringify({ container: [container], event: kinds }),
  })) as unknown as NodeJS.ReadableStream;
  let raw = '';
  for await (const chunk of stream) raw += chunk.toString();
  return raw
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { Action: string; timeNano: number })
    .filter((e) => e.timeNano / 1e6 >= sinceMs)
    .map((e) => e.Action);
}
