#!/usr/bin/env bash
# Runs every test file of the workspace with Node's test runner (through tsx):
# unit tests beside the sources, end-to-end tests in each package's test/ folder,
# the dashboard's unit tests, and the benchmark's smoke test. Extra arguments go to `node --test`.
# The dashboard's browser test builds the dashboard itself, so a clean clone needs no build first.
set -euo pipefail
shopt -s globstar nullglob
cd "$(dirname "$0")/.."
files=(packages/*/src/**/*.test.ts packages/*/dashboard/src/**/*.test.ts packages/*/test/**/*.test.ts bench/*.test.ts)
exec node --import tsx --test --test-concurrency=1 --test-timeout=600000 "$@" "${files[@]}"
