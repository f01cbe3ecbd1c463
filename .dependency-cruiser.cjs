/**
 * The architecture, as rules `npm test` checks (dependency-cruiser). Layers, bottom up:
 *   domain/      sandbox-safe types, messages and pure policy; imports nothing of ours
 *   config/      the configuration, its schema and runbook definitions; imports domain
 *   store/       the system of record (PostgreSQL or PGlite): its SQL, migrations and reads/writes; imports domain
 *   activities/  I/O, one module per external system; `contract.ts` is what workflows may see of it
 *   workflows/   deterministic code; imports domain and the activities' contract (types) only
 *   intake/      the HTTP intake and the responder surfaces; starts and signals workflows
 *   workers/     wires activities and workflows into pollers
 *   cli/         the `durable-runbooks` command line; nothing of the product imports it
 *   scripts/     operations, test beds and benchmarks; test/ the tests. Product code imports neither.
 */
const product = '^(domain|config|store|activities|workflows|intake|workers|cli)/';
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'Import circles', from: {}, to: { circular: true } },
    {
      name: 'domain-imports-nothing-of-ours',
      severity: 'error',
      from: { path: '^domain/' },
      to: { path: '^(config|store|activities|workflows|intake|workers|scripts|test)/' },
    },
    {
      name: 'config-imports-domain-only',
      severity: 'error',
      from: { path: '^config/' },
      to: { path: '^(store|activities|workflows|intake|workers|scripts|test)/' },
    },
    {
      name: 'store-imports-domain-only',
      severity: 'error',
      comment: 'The record is below everything that writes or serves it',
      from: { path: '^store/' },
      to: { path: '^(config|activities|workflows|intake|workers|cli|scripts|test)/' },
    },
    {
      name: 'activities-below-workflows',
      severity: 'error',
      from: { path: '^activities/' },
      to: { path: '^(workflows|intake|workers|scripts|test)/' },
    },
    {
      name: 'workflows-see-only-the-activity-contract',
      severity: 'error',
      comment: 'Workflow code runs in the sandbox: no I/O modules, only the contract of the activities',
      from: { path: '^workflows/' },
      to: { path: '^(config|store|intake|workers|scripts|test)/|^activities/(?!contract[.]ts$)' },
    },
    {
      name: 'sandbox-safe-no-node-builtins',
      severity: 'error',
      from: { path: '^(domain|workflows)/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'intake-below-workers',
      severity: 'error',
      from: { path: '^intake/' },
      to: { path: '^(workers|scripts|test)/' },
    },
    {
      name: 'cli-on-top',
      severity: 'error',
      comment: 'The command line uses the product; the product never reaches up to it',
      from: { path: '^(domain|config|activities|workflows|intake|workers)/' },
      to: { path: '^cli/' },
    },
    {
      name: 'product-never-imports-scripts-or-tests',
      severity: 'error',
      from: { path: product },
      to: { path: '^(scripts|test)/' },
    },
    {
      name: 'scripts-never-import-tests',
      severity: 'error',
      from: { path: '^scripts/' },
      to: { path: '^test/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist|[.]data|[.]tools)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
