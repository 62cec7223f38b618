#!/usr/bin/env bash
# Runs every test file of the workspace with Node's test runner (through tsx):
# unit tests beside the sources, end-to-end tests in each package's test/ folder,
# the dashboard's unit tests, the workspace checks and the benchmark's smoke test.
# The dashboard's browser test builds the dashboard itself, so a clean clone needs no
# build first. `--package NAME` runs one package's tests (what `pnpm --filter @lormas/NAME test` does). Other arguments go
# to `node --test`.
set -euo pipefail
shopt -s globstar nullglob
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--package" ]; then
  files=(packages/"$2"/src/**/*.test.ts packages/"$2"/dashboard/src/**/*.test.ts packages/"$2"/test/**/*.test.ts)
  shift 2
else
  files=(packages/*/src/**/*.test.ts packages/*/dashboard/src/**/*.test.ts packages/*/test/**/*.test.ts scripts/*.test.ts bench/*.test.ts)
fi
exec node --import tsx --test --test-concurrency=1 --test-timeout=600000 "$@" "${files[@]}"
