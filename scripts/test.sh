#!/usr/bin/env bash
# `npm test`: provision what is missing, type-check, lint, check formatting, then every jest project.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
started=$SECONDS
# One line per step with its time, so a slow run shows where the time went.
step() {
  local name="$1" t=$SECONDS
  shift
  "$@"
  echo "[test] $name: done in $((SECONDS - t)) s" >&2
}
step provision bash scripts/ops/provision.sh all
step typecheck npx tsc --noEmit -p .
step lint npx eslint . --max-warnings 0
step dependencies npx depcruise --output-type err domain config store activities workflows intake workers cli scripts test
step format sh -c 'npx prettier --check . >/dev/null || { npx prettier --check . ; exit 1; }'
step jest npx jest --ci --runInBand "$@"
echo "npm test finished in $((SECONDS - started)) s"
