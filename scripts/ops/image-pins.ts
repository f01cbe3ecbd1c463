/**
 * Image references in the deploy examples, and their digests read from a registry (the Registry HTTP API
 * v2: `HEAD /v2/<repository>/manifests/<tag>` answers `Docker-Content-Digest`). The examples name images by
 * short names (`postgres:15`) because deployers pull through a registry of their own; that registry is the
 * one asked, so the digest pinned is the one the deployer's nodes will verify.
 */
import { createHash } from 'node:crypto';

/** Images built from this repository: the deployer tags their own build, so there is nothing to read. */
const OWN_IMAGE = /^durable-runbooks(:|@|$)/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;
/** Manifest lists and OCI indexes first: the digest pinned is the multi-platform one, as `docker pull` shows. */
const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
].join(', ');
const TIMEOUT_MS = 15_000;

export interface ImageRef {
  /** 1-based line of the reference in its file. */
  line: number;
  /** The reference as written (`postgres:15`, `postgres:15@sha256:…`). */
  ref: string;
  /** `[host/]path`, without tag or digest. */
  name: string;
  tag: string;
  digest?: string;
}

/** Splits `[host[:port]/]path[:tag][@sha256:hex]`; a missing tag is `latest`, as Docker reads it. */
export function parseImageRef(ref: string): Omit<ImageRef, 'line'> {
  const [named, digest] = ref.split('@', 2);
  const slash = named.lastIndexOf('/');
  const colon = named.lastIndexOf(':');
  const hasTag = colon > slash;
  return {
    ref,
    name: hasTag ? named.slice(0, colon) : named,
    tag: hasTag ? named.slice(colon + 1) : 'latest',
    ...(digest !== undefined ? { digest } : {}),
  };
}

/** `image:` lines (Compose, Kubernetes) and `FROM` lines (Dockerfile), skipping this project's own image. */
export function imageRefsIn(text: string): ImageRef[] {
  const refs: ImageRef[] = [];
  text.split('\n').forEach((line, i) => {
    const m = /^\s*(?:-\s+)?image:\s*["']?([^\s"'#]+)/.exec(line) ?? /^FROM\s+(?:--\S+\s+)*(\S+)/i.exec(line);
    if (!m || OWN_IMAGE.test(m[1]) || m[1] === 'scratch' || m[1].includes('$')) return;
    refs.push({ line: i + 1, ...parseImageRef(m[1]) });
  });
  return refs;
}

/** The references still named by tag alone. */
export const unpinned = (refs: ImageRef[]) => refs.filter((r) => !r.digest || !DIGEST.test(r.digest));

/** Where a name lives: its own host when it names one, else the deployer's registry, as Docker resolves it. */
export function manifestUrl(registry: string, name: string, tag: string): string {
  const first = name.split('/')[0];
  const ownHost = name.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (ownHost) {
    const loopback = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/.test(first);
    const repository = name.slice(first.length + 1);
    return `${loopback ? 'http' : 'https'}://${first}/v2/${repository}/manifests/${encodeURIComponent(tag)}`;
  }
  // Official images live under library/ (`postgres` is `library/postgres`), on every registry that mirrors them.
  const repository = name.includes('/') ? name : `library/${name}`;
  return `${registry.replace(/\/+$/, '')}/v2/${repository}/manifests/${encodeURIComponent(tag)}`;
}

/** `Bearer realm="…",service="…",scope="…"` → its parameters (the Docker token authentication spec). */
export function bearerChallenge(header: string | null): Record<string, string> | undefined {
  if (!header || !/^bearer\s/i.test(header)) return undefined;
  const params: Record<string, string> = {};
  for (const m of header.slice(7).matchAll(/([a-z_]+)="([^"]*)"/gi)) params[m[1].toLowerCase()] = m[2];
  return params.realm ? params : undefined;
}

async function anonymousToken(challenge: Record<string, string>): Promise<string> {
  const url = new URL(challenge.realm);
  if (challenge.service) url.searchParams.set('service', challenge.service);
  if (challenge.scope) url.searchParams.set('scope', challenge.scope);
  const res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  if (!res.ok) throw new Error(`token from ${url.origin}: HTTP ${res.status}`);
  const body = (await res.json()) as { token?: string; access_token?: string };
  const token = body.token ?? body.access_token;
  if (!token) throw new Error(`token from ${url.origin}: the answer has no token`);
  return token;
}

/**
 * The digest of `name:tag` on `registry`. A registry that answers 401 with a Bearer challenge is asked for an
 * anonymous pull token first. When HEAD carries no digest header, the manifest is fetched and hashed.
 */
export async function resolveDigest(registry: string, name: string, tag: string): Promise<string> {
  const url = manifestUrl(registry, name, tag);
  const ask = (method: 'HEAD' | 'GET', token?: string) =>
    fetch(url, {
      method,
      headers: { Accept: MANIFEST_TYPES, ...(token ? { Authorization: `Bearer ${token}` } : {}) },
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  let token: string | undefined;
  let res = await ask('HEAD');
  if (res.status === 401) {
    const challenge = bearerChallenge(res.headers.get('www-authenticate'));
    if (!challenge) throw new Error(`${name}:${tag}: ${url} wants credentials this tool does not have`);
    token = await anonymousToken(challenge);
    res = await ask('HEAD', token);
  }
  if (!res.ok) throw new Error(`${name}:${tag}: ${url} answered HTTP ${res.status}`);
  const header = res.headers.get('docker-content-digest');
  if (header && DIGEST.test(header)) return header;
  const body = Buffer.from(await (await ask('GET', token)).arrayBuffer());
  return `sha256:${createHash('sha256').update(body).digest('hex')}`;
}

/** The text with each reference rewritten as `name:tag@digest` (a digest already there is replaced). */
export function withDigests(text: string, refs: ImageRef[], digests: Map<string, string>): string {
  const lines = text.split('\n');
  for (const r of refs) {
    const digest = digests.get(`${r.name}:${r.tag}`);
    if (!digest) continue;
    lines[r.line - 1] = lines[r.line - 1].replace(r.ref, `${r.name}:${r.tag}@${digest}`);
  }
  return lines.join('\n');
}
