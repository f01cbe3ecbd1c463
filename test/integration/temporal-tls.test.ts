/**
 * Connecting to a secured Temporal by the SDK's environment configuration: Temporal's frontend behind mTLS
 * (HAProxy terminating TLS with client-certificate verification in front of the dev server, which has no
 * TLS of its own), certificates made here with openssl. The worker (its own process) and the intake's
 * client connect with the TEMPORAL_TLS_* variables; a client without a certificate, or with one from
 * another CA, is refused.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { clientConnectionOptions, temporalTarget } from '../../config/temporal-client';
import { eventually } from '../../scripts/testbed/eventually';
import { describeWith, serviceValue } from '../../scripts/testbed/services';
import { startIntake, type RunningIntake } from '../support/intake';
import { tempDir, uniqueTaskQueue } from '../../scripts/testbed/temporal';
import { spawnWorkerProcess } from '../support/worker-process';
import { freePort } from '../../scripts/testbed/local-services';
import { testConfig, writeTestConfig } from '../../scripts/testbed/config';
import { statusQuery } from '../../domain/messages';

const openssl = (dir: string, ...args: string[]) =>
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });

/** A CA, and a certificate it signs (`server` for localhost/127.0.0.1, or a client). */
function makeCa(dir: string, name: string) {
  openssl(
    dir,
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.pem`,
  );
}
function makeCert(dir: string, ca: string, name: string, server: boolean) {
  openssl(
    dir,
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    `/CN=${server ? 'localhost' : name}`,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
  );
  writeFileSync(
    path.join(dir, `${name}.ext`),
    server
      ? 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n'
      : 'extendedKeyUsage=clientAuth\n',
  );
  openssl(
    dir,
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.pem`,
    '-CAkey',
    `${ca}.key`,
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    `${name}.ext`,
    '-out',
    `${name}.pem`,
  );
}

describeWith(
  ['temporal', 'haproxy'],
  'Temporal behind mTLS, reached by the SDK environment configuration',
  () => {
    const dir = tempDir('mtls-');
    let proxy: ChildProcess | undefined;
    let worker: ChildProcess | undefined;
    let intake: RunningIntake | undefined;
    let connection: Connection | undefined;
    let address: string;
    const taskQueue = uniqueTaskQueue('mtls');
    let tlsEnv: Record<string, string>;

    beforeAll(async () => {
      makeCa(dir, 'ca');
      makeCa(dir, 'other-ca');
      makeCert(dir, 'ca', 'server', true);
      makeCert(dir, 'ca', 'client', false);
      makeCert(dir, 'other-ca', 'stranger', false);
      writeFileSync(
        path.join(dir, 'server-bundle.pem'),
        execFileSync('cat', [path.join(dir, 'server.pem'), path.join(dir, 'server.key')]),
      );
      const port = await freePort();
      address = `127.0.0.1:${port}`;
      writeFileSync(
        path.join(dir, 'haproxy.cfg'),
        [
          'global',
          '  maxconn 200',
          'defaults',
          '  mode tcp',
          '  timeout connect 5s',
          '  timeout client 5m',
          '  timeout server 5m',
          'frontend temporal_mtls',
          `  bind ${address} ssl crt ${path.join(dir, 'server-bundle.pem')} ca-file ${path.join(dir, 'ca.pem')} verify required alpn h2`,
          '  default_backend dev_server',
          'backend dev_server',
          `  server dev ${serviceValue('temporal')}`,
          '',
        ].join('\n'),
      );
      proxy = spawn(serviceValue('haproxy'), ['-db', '-f', path.join(dir, 'haproxy.cfg')], {
        stdio: 'ignore',
      });
      tlsEnv = {
        TEMPORAL_ADDRESS: address,
        TEMPORAL_NAMESPACE: 'default',
        TEMPORAL_TLS_CLIENT_CERT_PATH: path.join(dir, 'client.pem'),
        TEMPORAL_TLS_CLIENT_KEY_PATH: path.join(dir, 'client.key'),
        TEMPORAL_TLS_SERVER_CA_CERT_PATH: path.join(dir, 'ca.pem'),
        TEMPORAL_TLS_SERVER_NAME: 'localhost',
      };
      connection = await eventually(
        () =>
          Connection.connect({ ...clientConnectionOptions(temporalTarget(tlsEnv)), connectTimeout: 2000 }),
        20_000,
        250,
      );
    }, 60_000);

    afterAll(async () => {
      await intake?.close();
      if (worker?.pid) process.kill(-worker.pid, 'SIGTERM');
      await connection?.close();
      proxy?.kill('SIGTERM');
    });

    test('the worker and the intake connect with client certificates; an alert through them pages', async () => {
      const configFile = writeTestConfig(dir, { journal: { file: path.join(dir, 'journal.jsonl') } });
      // The worker as an operator runs it: nothing but the standard variables tells it about TLS.
      worker = spawnWorkerProcess(taskQueue, { ...tlsEnv, RUNBOOKS_CONFIG: configFile });
      const target = temporalTarget(tlsEnv);
      expect(target.description).toBe(`${address} (TLS)`);
      const client = new Client({ connection: connection!, namespace: target.namespace });
      intake = await startIntake({ client, config: testConfig(), taskQueue });
      const res = await fetch(`${intake.url}/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          service: 'checkout',
          summary: 'over mTLS',
          severity: 'P2',
          dedupKey: `mtls-${Date.now()}`,
        }),
      });
      expect(res.status).toBe(202);
      const { workflowId } = ((await res.json()) as { incidents: { workflowId: string }[] }).incidents[0];
      // The worker, connected through the proxy, has run the incident: its first page is on record.
      const view = await eventually(
        async () => {
          const v = await client.workflow.getHandle(workflowId).query(statusQuery);
          expect(v.paged.length).toBeGreaterThan(0);
          return v;
        },
        60_000,
        250,
      );
      expect(view.summary).toBe('over mTLS');
      await client.workflow.getHandle(workflowId).terminate('mtls test done');
    });

    test('a client without a certificate, or with one from another CA, is refused', async () => {
      const noCert = temporalTarget({
        TEMPORAL_ADDRESS: address,
        TEMPORAL_TLS_SERVER_CA_CERT_PATH: path.join(dir, 'ca.pem'),
        TEMPORAL_TLS_SERVER_NAME: 'localhost',
      });
      const stranger = temporalTarget({
        ...tlsEnv,
        TEMPORAL_TLS_CLIENT_CERT_PATH: path.join(dir, 'stranger.pem'),
        TEMPORAL_TLS_CLIENT_KEY_PATH: path.join(dir, 'stranger.key'),
      });
      const plain = temporalTarget({ TEMPORAL_ADDRESS: address });
      for (const target of [noCert, stranger, plain]) {
        const attempt = Connection.connect({ ...clientConnectionOptions(target), connectTimeout: 3000 }).then(
          async (c) => {
            // Some refusals surface on the first call rather than at connect.
            try {
              await c.workflowService.getSystemInfo({});
            } finally {
              await c.close();
            }
          },
        );
        await expect(attempt).rejects.toThrow();
      }
    });
  },
);
