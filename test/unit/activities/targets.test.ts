/**
 * Anyone who can reach Temporal can start a runbook with any input: the activities refuse targets the
 * configuration does not name, before touching Docker, PostgreSQL or the network.
 */
import path from 'node:path';
import { createIncidentActivities } from '../../../activities';
import { LOG_SCAN_PATTERN } from '../../../domain/runbook-policy';
import { testConfig } from '../../../scripts/testbed/config';
import { tempDir } from '../../../scripts/testbed/temporal';

const baseDir = tempDir();
const config = testConfig({
  services: {
    shop: {
      container: 'shop-app',
      databaseContainer: 'shop-db',
      databaseUrlEnv: 'SHOP_DB_URL',
      healthUrls: ['http://127.0.0.1:1/health'],
    },
  },
  // No Docker Engine here: a call that passes the check fails on the missing socket instead.
  docker: { socketPath: path.join(baseDir, 'no-docker.sock') },
});
const activities = createIncidentActivities({
  config,
  baseDir,
  env: { SHOP_DB_URL: 'postgres://127.0.0.1:1/x' },
});

describe('activities act only on what the configuration names', () => {
  test.each([
    [
      'restart an unconfigured container',
      () =>
        activities.restartContainer({
          container: 'prod-payments',
          requestedAt: new Date().toISOString(),
          stopTimeoutSeconds: 1,
        }),
      'container "prod-payments"',
    ],
    [
      'recreate one with new env',
      () =>
        activities.recreateContainer({
          container: 'other',
          env: { DB_POOL_SIZE: '1' },
          stopTimeoutSeconds: 1,
        }),
      'container "other"',
    ],
    [
      "read another container's logs",
      () => activities.containerLogs({ container: 'vault', tail: 10, pattern: LOG_SCAN_PATTERN }),
      'container "vault"',
    ],
    [
      'use any environment variable as a database URL',
      () => activities.connectionUsage({ urlEnv: 'AWS_SECRET_ACCESS_KEY' }),
      'database URL variable "AWS_SECRET_ACCESS_KEY"',
    ],
    [
      'probe a URL from inside the network',
      () => activities.checkServiceHealth({ urls: ['http://169.254.169.254/latest/meta-data/'] }),
      'health URL "http://169.254.169.254/latest/meta-data/"',
    ],
    [
      'scan logs with its own regular expression',
      () => activities.containerLogs({ container: 'shop-app', tail: 10, pattern: '(a+)+$' }),
      'log pattern "(a+)+$"',
    ],
  ])('refuses to %s', async (_what, call, named) => {
    await expect(call()).rejects.toMatchObject({
      message: `${named} is not in the configuration: refused`,
      type: 'TargetNotConfigured',
      nonRetryable: true,
    });
  });

  test('lets configured targets through (they fail here only on the absent Docker Engine)', async () => {
    await expect(activities.inspectContainer({ container: 'shop-db' })).rejects.toThrow(/ENOENT/);
    await expect(
      activities.containerLogs({ container: 'shop-app', tail: 10, pattern: LOG_SCAN_PATTERN }),
    ).rejects.toThrow(/ENOENT/);
    const health = await activities.checkServiceHealth({ urls: ['http://127.0.0.1:1/health'] });
    expect(health.healthy).toBe(false);
    expect(await activities.checkServiceHealth({ urls: [] })).toEqual({ healthy: true, checks: [] });
  });
});
