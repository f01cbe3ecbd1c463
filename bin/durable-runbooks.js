#!/usr/bin/env node
// The `durable-runbooks` command. In a checkout (its TypeScript sources beside this file) it runs them
// through tsx, so it never runs a stale build; in an installed package it runs the compiled dist/.
const { existsSync } = require('node:fs');
const path = require('node:path');

const sources = path.join(__dirname, '..', 'cli', 'main.ts');
let main;
if (existsSync(sources)) {
  require('tsx/cjs');
  ({ main } = require(sources));
} else ({ main } = require('../dist/cli/main.js'));
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    console.error((e && e.stack) || String(e));
    process.exit(1);
  },
);
