import { Client as PgClient } from 'pg';
import { describeWith, serviceValue } from '../../scripts/testbed/services';

describeWith(['postgres'], 'real PostgreSQL (throwaway initdb cluster)', () => {
  test('SELECT version() answers from a real server', async () => {
    const pg = new PgClient({ connectionString: serviceValue('postgres') });
    await pg.connect();
    try {
      const { rows } = await pg.query<{ version: string }>('SELECT version()');
      expect(rows[0].version).toMatch(/^PostgreSQL \d+/);
      const active = await pg.query<{ n: string }>(
        "SELECT count(*) AS n FROM pg_stat_activity WHERE state = 'active'",
      );
      expect(Number(active.rows[0].n)).toBeGreaterThanOrEqual(1); // this very query
    } finally {
      await pg.end();
    }
  });
});
