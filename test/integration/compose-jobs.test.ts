/**
 * The compose file's Temporal jobs, which replace temporalio/auto-setup: their scripts run here for real (the
 * images cannot be pulled on this machine), with the same tools the images hold, built by provisioning:
 * `temporal-sql-tool` against a PostgreSQL of the test's own, and the Temporal CLI against the dev server.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client as PgClient } from 'pg';
import { Connection } from '@temporalio/client';
import { parse as parseYaml } from 'yaml';
import { readFileSync } from 'node:fs';
import { startPostgres, type Postgres } from '../../scripts/testbed/local-services';
import { describeWith, serviceValue } from '../../scripts/testbed/services';
import { tempDir } from '../../scripts/testbed/temporal';

const run = promisify(execFile);
const DEPLOY = path.resolve(__dirname, '..', '..', 'deploy');

describeWith(['cluster', 'temporal'], "deploy/docker-compose.yml's Temporal jobs", () => {
  const compose = parseYaml(readFileSync(path.join(DEPLOY, 'docker-compose.yml'), 'utf8')) as {
    services: Record<
      string,
      {
        image?: string;
        entrypoint?: string[];
        volumes?: string[];
        environment?: Record<string, string>;
        depends_on?: Record<string, { condition: string }>;
      }
    >;
  };
  /** The script a job runs: the file its entrypoint names, mounted from deploy/. */
  const scriptOf = (job: string) => {
    const { entrypoint, volumes } = compose.services[job];
    const mount = volumes!.find((v) => v.split(':')[1] === entrypoint![1])!;
    return path.join(DEPLOY, mount.split(':')[0]);
  };
  // The tools on PATH, as in the admin-tools image.
  const PATH = `${serviceValue('cluster')}:${process.env.PATH}`;
  let pg: Postgres;
  afterAll(async () => {
    await pg?.stop();
  });

  test('no auto-setup: the server starts after the schema job, the product after the namespace job', () => {
    const images = Object.values(compose.services).map((s) => s.image ?? '');
    expect(images.filter((i) => i.includes('auto-setup'))).toEqual([]);
    expect(compose.services.temporal.image).toMatch(/^temporalio\/server:/);
    expect(compose.services['temporal-schema'].image).toMatch(/^temporalio\/admin-tools:/);
    expect(compose.services.temporal.depends_on).toEqual({
      'temporal-schema': { condition: 'service_completed_successfully' },
    });
    for (const name of ['worker', 'intake', 'api'])
      expect([name, compose.services[name].depends_on?.['temporal-namespace']]).toEqual([
        name,
        { condition: 'service_completed_successfully' },
      ]);
  });

  test('the schema job creates both databases and their schemas, and a second run changes nothing', async () => {
    pg = await startPostgres(tempDir('compose-schema-'));
    const url = new URL(pg.url);
    const env = {
      ...process.env,
      PATH,
      ...compose.services['temporal-schema'].environment,
      SQL_HOST: '127.0.0.1',
      SQL_PORT: url.port,
      SQL_USER: decodeURIComponent(url.username),
      SQL_PASSWORD: decodeURIComponent(url.password),
    };
    const script = scriptOf('temporal-schema');
    const first = await run('sh', [script], { env });
    expect(first.stdout).toContain('database temporal_visibility: created if new');
    const versionOf = async (database: string) => {
      const db = new PgClient({ connectionString: pg.url.replace(/\/[^/]*$/, `/${database}`) });
      await db.connect();
      try {
        const tables = await db.query(
          "SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name IN ('executions', 'executions_visibility')",
        );
        const version = await db.query('SELECT curr_version FROM schema_version');
        return { tables: tables.rows[0].n as number, version: version.rows[0].curr_version as string };
      } finally {
        await db.end();
      }
    };
    const temporal = await versionOf('temporal');
    const visibility = await versionOf('temporal_visibility');
    expect(temporal.tables).toBe(1);
    expect(visibility.tables).toBe(1);
    expect(Number(temporal.version)).toBeGreaterThan(1);
    await run('sh', [script], { env });
    expect(await versionOf('temporal')).toEqual(temporal);
    expect(await versionOf('temporal_visibility')).toEqual(visibility);
    // The password went by environment: it is on no command line the script ran.
    expect(readFileSync(script, 'utf8')).not.toMatch(/--pw|--password/);
  });

  test('the namespace job creates the namespace once the frontend answers, and finds it the next time', async () => {
    const namespace = `compose-${Date.now().toString(36)}`;
    const env = {
      ...process.env,
      PATH,
      TEMPORAL_ADDRESS: serviceValue('temporal'),
      TEMPORAL_NAMESPACE: namespace,
    };
    const script = scriptOf('temporal-namespace');
    expect((await run('sh', [script], { env })).stdout).toBe(
      `namespace ${namespace} created (retention 72h)\n`,
    );
    expect((await run('sh', [script], { env })).stdout).toBe(`namespace ${namespace} exists\n`);
    const connection = await Connection.connect({ address: serviceValue('temporal') });
    try {
      const described = await connection.workflowService.describeNamespace({ namespace });
      expect(described.namespaceInfo?.name).toBe(namespace);
    } finally {
      await connection.close();
    }
  });
});
