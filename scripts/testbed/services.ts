/**
 * Which real servers the test run has (started by global-setup). A suite that needs a missing one skips
 * with a loud line outside CI and fails under CI=true.
 */
export type ServiceName =
  | 'temporal'
  | 'docker'
  | 'postgres'
  | 'testServer'
  | 'chromium'
  | 'alertmanager'
  | 'prometheus'
  | 'haproxy'
  | 'compose'
  | 'cluster'
  | 'kubernetes'
  | 'otelcol'
  | 'registry';

const ENV: Record<ServiceName, string> = {
  temporal: 'RUNBOOKS_TEST_TEMPORAL_ADDRESS',
  docker: 'RUNBOOKS_TEST_DOCKER_SOCKET',
  postgres: 'RUNBOOKS_TEST_POSTGRES_URL',
  testServer: 'RUNBOOKS_TEST_SERVER_PATH',
  chromium: 'RUNBOOKS_TEST_CHROMIUM',
  alertmanager: 'RUNBOOKS_TEST_ALERTMANAGER',
  prometheus: 'RUNBOOKS_TEST_PROMETHEUS',
  haproxy: 'RUNBOOKS_TEST_HAPROXY',
  compose: 'RUNBOOKS_TEST_COMPOSE',
  cluster: 'RUNBOOKS_TEST_CLUSTER',
  kubernetes: 'RUNBOOKS_TEST_KUBERNETES',
  otelcol: 'RUNBOOKS_TEST_OTELCOL',
  registry: 'RUNBOOKS_TEST_REGISTRY',
};

export function serviceValue(name: ServiceName): string {
  const value = process.env[ENV[name]];
  if (!value) throw new Error(`${name} is not available in this test run`);
  return value;
}

export function missingReason(name: ServiceName): string | undefined {
  if (process.env[ENV[name]]) return undefined;
  return process.env[`RUNBOOKS_TEST_MISSING_${name.toUpperCase()}`] ?? 'not started by the test setup';
}

/** `describe` that runs only with the named services; otherwise skips loudly (or fails under CI). */
export function describeWith(names: ServiceName[], title: string, body: () => void): void {
  const missing = names.map((n) => [n, missingReason(n)] as const).filter(([, why]) => why);
  if (!missing.length) return describe(title, body);
  const message = `${title}: needs ${missing.map(([n, why]) => `${n} (${why})`).join(', ')}`;
  if (process.env.CI === 'true') {
    describe(title, () =>
      test('required services are available', () => {
        throw new Error(`${message}; run scripts/ops/provision.sh`);
      }),
    );
    return;
  }
  console.warn(`\n!!! SKIPPED ${message} — run \`npm run provision\` to install it\n`);
  describe.skip(title, body);
}
