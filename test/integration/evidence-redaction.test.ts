/**
 * Evidence is made in one place (`runProbe`, and the health check under it), and what a target prints there
 * reaches the timeline, Slack, the review and workflow history. A real container logging a connection
 * string and a password, and a health URL with credentials in it: the probes' answers hold none of them.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Docker from 'dockerode';
import { createIncidentActivities } from '../../activities';
import { ensureShellImage } from '../../scripts/testbed/images';
import { testConfig } from '../../scripts/testbed/config';
import { eventually } from '../../scripts/testbed/eventually';
import { describeWith, serviceValue } from '../../scripts/testbed/services';
import { tempDir } from '../../scripts/testbed/temporal';

const SECRETS = ['s3cret-db-pw', 'hunter2-pw', 'health-pw-9'];

describeWith(['docker'], 'evidence holds no credentials of the target', () => {
  const docker = new Docker({ socketPath: serviceValue('docker') });
  const name = `leaky-app-${Date.now().toString(36)}`;
  let server: http.Server;
  let healthUrl: string;

  beforeAll(async () => {
    server = http.createServer((_req, res) => res.end(JSON.stringify({ status: 'healthy' })));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    healthUrl = `http://probe:${SECRETS[2]}@127.0.0.1:${(server.address() as AddressInfo).port}/health`;
    const container = await docker.createContainer({
      name,
      Image: await ensureShellImage(docker),
      Cmd: [
        'sh',
        '-c',
        `echo "ERROR: could not connect to postgres://app:${SECRETS[0]}@db:5432/orders"; ` +
          `echo "FATAL: login refused, password=${SECRETS[1]}"; sleep 300`,
      ],
    });
    await container.start();
  }, 120_000);
  afterAll(async () => {
    await docker
      .getContainer(name)
      .remove({ force: true })
      .catch(() => undefined);
    server?.close();
  });

  test('a logs probe and a health probe: the lines and URLs are there, their credentials are not', async () => {
    const config = testConfig({ services: { leaky: { container: name, healthUrls: [healthUrl] } } });
    const activities = createIncidentActivities({ config, baseDir: tempDir(), env: {}, docker });
    const base = {
      service: 'leaky',
      container: name,
      databaseContainer: null,
      urlEnv: null,
      urls: [healthUrl],
    };
    const logs = await eventually(async () => {
      const report = await activities.runProbe({ ...base, probe: { kind: 'logs', tail: 50 } });
      expect(report.evidence).toHaveLength(2);
      return report;
    }, 30_000);
    expect(logs.evidence).toEqual([
      'ERROR: could not connect to postgres://[redacted]@db:5432/orders',
      'FATAL: login refused, password=[redacted]',
    ]);
    const health = await activities.runProbe({ ...base, probe: { kind: 'health' } });
    expect(health.facts).toMatchObject({ healthy: true });
    expect(health.evidence).toEqual([
      `http://[redacted]@127.0.0.1:${new URL(healthUrl).port}/health → 200 healthy`,
    ]);
    // The health watch's own call answers the same way.
    const watched = await activities.checkServiceHealth({ urls: [healthUrl] });
    for (const text of [JSON.stringify(logs), JSON.stringify(health), JSON.stringify(watched)])
      for (const secret of SECRETS) expect(text).not.toContain(secret);
  });
});
