/** Secrets are read from the environment at the moment of use and never passed through workflow history. */
export type Env = Record<string, string | undefined>;

export function readSecret(env: Env, name: string | undefined): string | undefined {
  if (!name) return undefined;
  const value = env[name];
  return value && value.trim() ? value.trim() : undefined;
}

/** Removes any configured secret value from a text before it reaches a log, an error or history. */
export function redact(text: string, secrets: (string | undefined)[]): string {
  let out = text;
  for (const secret of secrets) if (secret && secret.length >= 4) out = out.split(secret).join('[redacted]');
  return out;
}
