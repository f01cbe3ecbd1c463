/**
 * The Kubernetes API over plain HTTPS with the admin client certificate, for tests and the drill's setup
 * (never the product: its client, @kubernetes/client-node, is an ES module that jest cannot load).
 */
import https from 'node:https';

export interface KubeResponse<T = unknown> {
  status: number;
  body: T;
}

/** Minimal REST access with the admin client certificate (tests and the drill's setup, never the product). */
export class KubeApi {
  constructor(
    readonly server: string,
    private readonly tls: { ca: Buffer; cert: Buffer; key: Buffer },
  ) {}

  request<T = Record<string, unknown>>(
    method: string,
    apiPath: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<KubeResponse<T>> {
    const url = new URL(apiPath, this.server);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = https.request(
        url,
        {
          method,
          ...this.tls,
          headers: {
            accept: 'application/json',
            ...(payload ? { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) } : {}),
          },
          timeout: 15_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            try {
              parsed = text ? JSON.parse(text) : {};
            } catch {
              /* plain text (e.g. /readyz) */
            }
            resolve({ status: res.statusCode ?? 0, body: parsed as T });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${apiPath}: timed out`)));
      req.on('error', reject);
      if (payload) req.write(payload);
      req.end();
    });
  }

  /** The request, or an error naming the call and the API server's message when it is not 2xx. */
  async ok<T = Record<string, unknown>>(
    method: string,
    apiPath: string,
    body?: unknown,
    contentType?: string,
  ): Promise<T> {
    const r = await this.request<T>(method, apiPath, body, contentType);
    if (r.status < 200 || r.status >= 300)
      throw new Error(
        `${method} ${apiPath}: ${r.status} ${(r.body as { message?: string })?.message ?? JSON.stringify(r.body).slice(0, 300)}`,
      );
    return r.body;
  }
}

/** The REST collection of each kind the manifests and tests create (cluster-scoped: Namespace only). */
const COLLECTIONS = new Map<string, string>([
  ['Namespace', 'namespaces'],
  ['ConfigMap', 'configmaps'],
  ['Secret', 'secrets'],
  ['Service', 'services'],
  ['ServiceAccount', 'serviceaccounts'],
  ['Deployment', 'deployments'],
  ['PodDisruptionBudget', 'poddisruptionbudgets'],
  ['Role', 'roles'],
  ['RoleBinding', 'rolebindings'],
  ['NetworkPolicy', 'networkpolicies'],
]);

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [k: string]: unknown };
  [k: string]: unknown;
}

/** Where `obj`'s kind lives in the API: `/api/v1/namespaces/ns/configmaps`, `/apis/apps/v1/…`. */
export function collectionPath(obj: KubeObject): string {
  const plural = COLLECTIONS.get(obj.kind);
  if (!plural) throw new Error(`no REST collection known for kind ${obj.kind}`);
  const group = obj.apiVersion === 'v1' ? '/api/v1' : `/apis/${obj.apiVersion}`;
  if (obj.kind === 'Namespace') return `${group}/${plural}`;
  return `${group}/namespaces/${obj.metadata.namespace ?? 'default'}/${plural}`;
}
