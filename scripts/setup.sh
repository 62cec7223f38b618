#!/usr/bin/env bash
# Prepares a Debian or Ubuntu machine to run and test the Lormas node agent:
# the Docker engine, the offline busybox test image, Debian's registry for pull tests,
# Chromium for the dashboard's browser tests, nats-server and PostgreSQL for the cluster tests,
# pnpm and the workspace's dependencies. Safe to run again; it skips what is there.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# The workspace (the mock server's better-sqlite3, the test runner) needs Node.js 20; the agent alone runs on 18.
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "setup: Node.js 20 or newer is needed to develop and test the workspace (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v docker-registry >/dev/null || missing+=(docker-registry)
[ -x /bin/busybox ] && /bin/busybox --list >/dev/null 2>&1 && file_is_static=$(ldd /bin/busybox 2>&1 | grep -c 'not a dynamic' || true)
[ "${file_is_static:-0}" -ge 1 ] || missing+=(busybox-static)
command -v ip >/dev/null || missing+=(iproute2)
# The dashboard's browser tests drive Debian's Chromium (playwright-core downloads no browser).
[ -x /usr/bin/chromium ] || missing+=(chromium)
# Cluster mode: the replicas route through NATS (JetStream) and share PostgreSQL 15. The tests run
# private instances of both on loopback ports; neither needs to run as a service.
command -v nats-server >/dev/null || missing+=(nats-server)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
# The TLS tests make their certificate authorities with openssl.
command -v openssl >/dev/null || missing+=(openssl)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

pnpm_version=$(node -p 'require("./package.json").packageManager.split("@")[1]')
if ! command -v pnpm >/dev/null || [ "$(pnpm --version)" != "$pnpm_version" ]; then
  echo "setup: installing pnpm $pnpm_version"
  as_root npm install -g --silent "pnpm@$pnpm_version"
fi

pnpm install --frozen-lockfile --reporter=silent
# The engine must run as root; the test image is built offline from busybox-static.
as_root pnpm --silent testbed
