#!/usr/bin/env node
// The `durable-runbooks` command: the TypeScript CLI (cli/main.ts) run through tsx, a dependency, so it
// works the same from a checkout (npx durable-runbooks) and from an installed package.
require('tsx/cjs');
const { main } = require('../cli/main.ts');
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    console.error((e && e.stack) || String(e));
    process.exit(1);
  },
);
