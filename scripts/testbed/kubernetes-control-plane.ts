/**
 * A real Kubernetes control plane on this machine, for the tests and `npm run drill -- --kubernetes`: etcd,
 * kube-apiserver, kube-controller-manager and kube-scheduler, with kwok's fake nodes in place of kubelets
 * (pods are scheduled and reported running, so rollouts complete in about a second). Binaries come from
 * `scripts/ops/provision.sh kubernetes` (.tools/bin). Every client talks to 127.0.0.1 only.
 *
 * The test code talks to the API server over plain HTTPS with the admin certificate (`KubeApi`): the
 * product's client (@kubernetes/client-node) is an ES module, which jest's module system cannot load.
 */
import { execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { KubeApi } from './kube-api';
import { freePort, killGroup, spawnLogged, waitFor } from './local-services';
import { REPO_ROOT } from '../ops/temporal-server';

const run = promisify(execFile);

export const KUBERNETES_BIN = path.join(REPO_ROOT, '.tools', 'bin');
export const CONTROL_PLANE_BINARIES = [
  'etcd',
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kwok',
] as const;

/** Whether `scripts/ops/provision.sh kubernetes` has built everything the control plane runs. */
export function controlPlaneBuilt(bin = KUBERNETES_BIN): boolean {
  return CONTROL_PLANE_BINARIES.every((b) => existsSync(path.join(bin, b)));
}

/**
 * The API server must advertise an address other than loopback. One from TEST-NET-1 (RFC 5737): nothing
 * routes there and no client is ever given it (clients use 127.0.0.1 from the kubeconfig).
 */
const ADVERTISE_ADDRESS = '192.0.2.10';
export const FAKE_NODE = 'kwok-node-0';

export { collectionPath, KubeApi, type KubeObject, type KubeResponse } from './kube-api';

export interface ControlPlane {
  /** https://127.0.0.1:<port> */
  server: string;
  /** An admin kubeconfig (client certificate) for the product's client and kubectl. */
  kubeconfig: string;
  api: KubeApi;
  /** Signals one component (SIGSTOP/SIGCONT let a test hold the deployment controller still). */
  signal(component: (typeof CONTROL_PLANE_BINARIES)[number], signal: NodeJS.Signals): void;
  stop(): Promise<void>;
}

async function openssl(args: string[], cwd: string) {
  await run('openssl', args, { cwd });
}

/** A CA, the API server's serving certificate, an admin client certificate and the service-account keys. */
async function makeCertificates(dir: string) {
  mkdirSync(dir, { recursive: true });
  if (existsSync(path.join(dir, 'admin.key'))) return;
  await openssl(['genrsa', '-out', 'ca.key', '2048'], dir);
  await openssl(
    [
      'req',
      '-x509',
      '-new',
      '-key',
      'ca.key',
      '-subj',
      '/CN=durable-runbooks-test-ca',
      '-days',
      '3650',
      '-out',
      'ca.crt',
    ],
    dir,
  );
  const leaf = async (name: string, subject: string, ext: string) => {
    writeFileSync(path.join(dir, `${name}.ext`), ext);
    await openssl(['genrsa', '-out', `${name}.key`, '2048'], dir);
    await openssl(['req', '-new', '-key', `${name}.key`, '-subj', subject, '-out', `${name}.csr`], dir);
    await openssl(
      [
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-days',
        '3650',
      ].concat(['-extfile', `${name}.ext`, '-out', `${name}.crt`]),
      dir,
    );
  };
  await leaf(
    'apiserver',
    '/CN=kube-apiserver',
    'subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n',
  );
  await leaf('admin', '/O=system:masters/CN=admin', 'extendedKeyUsage=clientAuth\n');
  await openssl(['genrsa', '-out', 'sa.key', '2048'], dir);
  await openssl(['rsa', '-in', 'sa.key', '-pubout', '-out', 'sa.pub'], dir);
}

function writeKubeconfig(file: string, server: string, certs: string) {
  const b64 = (f: string) => readFileSync(path.join(certs, f)).toString('base64');
  writeFileSync(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: test',
      '  cluster:',
      `    server: ${server}`,
      `    certificate-authority-data: ${b64('ca.crt')}`,
      'users:',
      '- name: admin',
      '  user:',
      `    client-certificate-data: ${b64('admin.crt')}`,
      `    client-key-data: ${b64('admin.key')}`,
      'contexts:',
      '- name: test',
      '  context: { cluster: test, user: admin }',
      'current-context: test',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
}

/** The fake node kwok keeps Ready (no taint: pods need no toleration to land on it). */
const fakeNode = {
  apiVersion: 'v1',
  kind: 'Node',
  metadata: {
    name: FAKE_NODE,
    annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
    labels: {
      'kubernetes.io/hostname': FAKE_NODE,
      'kubernetes.io/os': 'linux',
      'kubernetes.io/arch': 'amd64',
      type: 'kwok',
    },
  },
  status: {
    allocatable: { cpu: '32', memory: '256Gi', pods: '110' },
    capacity: { cpu: '32', memory: '256Gi', pods: '110' },
  },
};

/**
 * Starts the control plane with its state under `stateDir` (etcd's data is thrown away: every start is a
 * new cluster) and returns once the API server is ready and the fake node is Ready.
 */
export async function startControlPlane(
  stateDir: string,
  opts: { bin?: string; log?: (line: string) => void } = {},
): Promise<ControlPlane> {
  const bin = opts.bin ?? KUBERNETES_BIN;
  const log = opts.log ?? (() => undefined);
  if (!controlPlaneBuilt(bin))
    throw new Error(
      `the Kubernetes control plane is not built in ${bin}: run scripts/ops/provision.sh kubernetes`,
    );
  const certs = path.join(stateDir, 'pki');
  const logs = path.join(stateDir, 'logs');
  mkdirSync(logs, { recursive: true });
  const started = Date.now();
  await makeCertificates(certs);
  const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const server = `https://127.0.0.1:${apiPort}`;
  const kubeconfig = path.join(stateDir, 'admin.kubeconfig');
  writeKubeconfig(kubeconfig, server, certs);
  const api = new KubeApi(server, {
    ca: readFileSync(path.join(certs, 'ca.crt')),
    cert: readFileSync(path.join(certs, 'admin.crt')),
    key: readFileSync(path.join(certs, 'admin.key')),
  });
  const children: ChildProcess[] = [];
  const stop = async () => {
    for (const child of [...children].reverse()) await killGroup(child, 5000);
  };
  const start = (name: string, args: string[]) => {
    const logFile = path.join(logs, `${name}.log`);
    const child = spawnLogged(path.join(bin, name), args, logFile);
    children.push(child);
    return { child, logFile };
  };
  const pem = (f: string) => path.join(certs, f);
  try {
    const etcdData = path.join(stateDir, 'etcd');
    const etcd = start('etcd', [
      `--data-dir=${etcdData}`,
      '--name=default',
      `--listen-client-urls=http://127.0.0.1:${etcdPort}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
      `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-cluster=default=http://127.0.0.1:${peerPort}`,
      '--force-new-cluster',
      // A test cluster's data is thrown away: no fsync keeps etcd from waiting on the disk.
      '--unsafe-no-fsync',
      '--quota-backend-bytes=1073741824',
    ]);
    await waitFor(
      'etcd',
      async () => {
        const r = await fetch(`http://127.0.0.1:${etcdPort}/health`).catch(() => null);
        return r?.ok === true;
      },
      etcd.child,
      etcd.logFile,
      30_000,
    );
    const apiserver = start('kube-apiserver', [
      `--etcd-servers=http://127.0.0.1:${etcdPort}`,
      '--bind-address=127.0.0.1',
      `--advertise-address=${ADVERTISE_ADDRESS}`,
      `--secure-port=${apiPort}`,
      `--tls-cert-file=${pem('apiserver.crt')}`,
      `--tls-private-key-file=${pem('apiserver.key')}`,
      `--client-ca-file=${pem('ca.crt')}`,
      `--service-account-issuer=https://kubernetes.default.svc`,
      `--service-account-key-file=${pem('sa.pub')}`,
      `--service-account-signing-key-file=${pem('sa.key')}`,
      '--service-cluster-ip-range=10.0.0.0/24',
      '--authorization-mode=Node,RBAC',
      '--allow-privileged=true',
      // No kubelet mounts service-account tokens here; the plugin would only delay the first pods.
      '--disable-admission-plugins=ServiceAccount',
      '--endpoint-reconciler-type=none',
    ]);
    await waitFor(
      'kube-apiserver',
      async () => {
        const r = await api.request('GET', '/readyz').catch(() => null);
        return r?.status === 200;
      },
      apiserver.child,
      apiserver.logFile,
      90_000,
    );
    log(`kube-apiserver ready at ${server} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    start('kube-controller-manager', [
      `--kubeconfig=${kubeconfig}`,
      '--leader-elect=false',
      '--secure-port=0',
      `--service-account-private-key-file=${pem('sa.key')}`,
      `--root-ca-file=${pem('ca.crt')}`,
      '--use-service-account-credentials=false',
      // Nodes are kwok's: no CIDRs to allocate and no cloud. (The node lifecycle controller stays: it lifts
      // the not-ready taint every new node is born with.)
      '--controllers=*,-node-ipam-controller,-cloud-node-lifecycle-controller,-service-lb-controller,-node-route-controller',
    ]);
    start('kube-scheduler', [`--kubeconfig=${kubeconfig}`, '--leader-elect=false', '--secure-port=0']);
    start('kwok', [
      `--kubeconfig=${kubeconfig}`,
      '--manage-all-nodes=false',
      '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
      '--node-ip=127.0.0.1',
      '--cidr=10.244.0.0/16',
      // Heartbeats by Lease, as a kubelet's (40 s, renewed every 10 s): without one the node lifecycle
      // controller declares the node NotReady after its grace period and every pod becomes unavailable.
      '--node-lease-duration-seconds=40',
    ]);
    const created = await api.request('POST', '/api/v1/nodes', fakeNode);
    if (created.status !== 201 && created.status !== 409)
      throw new Error(
        `creating the fake node: ${created.status} ${JSON.stringify(created.body).slice(0, 300)}`,
      );
    const deadline = Date.now() + 60_000;
    for (;;) {
      const node = await api.ok<{ status?: { conditions?: { type: string; status: string }[] } }>(
        'GET',
        `/api/v1/nodes/${FAKE_NODE}`,
      );
      if (node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) break;
      for (const c of children)
        if (c.exitCode !== null || c.signalCode !== null)
          throw new Error(`${c.spawnfile} exited (${c.signalCode ?? c.exitCode}); see ${logs}`);
      if (Date.now() > deadline)
        throw new Error(`the fake node did not become Ready within 60 s; see ${logs}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    log(
      `control plane ready (fake node ${FAKE_NODE} Ready) in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  const signal = (component: string, sig: NodeJS.Signals) => {
    const child = children.find((c) => path.basename(c.spawnfile) === component);
    if (!child?.pid) throw new Error(`${component} is not running`);
    process.kill(-child.pid, sig);
  };
  return { server, kubeconfig, api, signal, stop };
}
