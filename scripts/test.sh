#!/usr/bin/env bash
# `npm test`: provision what is missing, type-check, lint, check formatting, then every jest project.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
started=$SECONDS
bash scripts/provision.sh all
npx tsc --noEmit -p .
npx eslint . --max-warnings 0
npx prettier --check . >/dev/null || { npx prettier --check . ; exit 1; }
npx jest --ci --runInBand "$@"
echo "npm test finished in $((SECONDS - started)) s"
