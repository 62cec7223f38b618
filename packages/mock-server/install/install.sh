#!/bin/sh
# Installs the Lormas node agent on this host and joins it to a Lormas server:
#
#   curl -fsSL https://SERVER/agent/install.sh | LORMAS_JOIN_CODE=CODE sudo --preserve-env=LORMAS_JOIN_CODE \
#     sh -s -- --server https://SERVER --release-key FINGERPRINT
#
# The join code comes in the environment, never on a command line: every user of the host can
# read a command line (ps) for as long as the script runs, and the code is the node's token
# until it is used. (`VAR=value sudo` puts it in sudo's environment, root's; `sudo VAR=value`
# would put it in sudo's command line.)
#
# The server's dashboard (or POST /api/nodes/:id/join) prints this line with its own values.
# What it does, each step safe to repeat:
#   1. picks the build: the JavaScript file where Node.js 18+ is installed, else the single
#      executable for this CPU;
#   2. downloads the release key and checks it has the fingerprint given here (the operator's
#      word, not the server's), then the build's manifest, its signature by that key, and the
#      build, whose size and SHA-256 must be the manifest's; nothing unverified is installed;
#   3. creates the system user `lormas` in the `docker` group;
#   4. installs under /opt/lormas-agent, root's: the build with its signed manifest, the
#      settings (agent.conf, root:lormas 0640, kept if present) and the state folder, the
#      agent's own (0700);
#   5. joins: the agent, as `lormas`, trades the join code for its node token (state/node-token,
#      0600); a node that has a token already keeps it;
#   6. installs and (re)starts the systemd unit lormas-agent.service, which runs the launcher.
#
# POSIX sh (dash). LORMAS_ROOT installs under another root folder (packaging, tests; the user
# is still created on this host); LORMAS_NODE names the Node.js to use, or is empty to use the
# single executable.
set -eu

AGENT_USER=lormas
ROOT=${LORMAS_ROOT:-}
PREFIX=/opt/lormas-agent
UNIT=lormas-agent.service

say() { printf 'lormas-install: %s\n' "$*" >&2; }
die() {
  say "$*"
  exit 1
}
usage() {
  cat >&2 <<'USAGE'
usage: LORMAS_JOIN_CODE=CODE install.sh --server URL --release-key FINGERPRINT
  --server URL          the Lormas server, http:// or https:// (agents dial it as ws:// or wss://)
  --release-key FP      SHA-256 fingerprint (64 hex digits) of the operator's release key
  LORMAS_JOIN_CODE      (environment) the single-use join code the server issued for this node
USAGE
  exit 2
}

SERVER=
CODE=${LORMAS_JOIN_CODE:-}
# Only the join below needs it, as JOIN_CODE; nothing else this script starts inherits it.
unset LORMAS_JOIN_CODE
FINGERPRINT=
while [ $# -gt 0 ]; do
  case $1 in
    --server) [ $# -ge 2 ] || usage; SERVER=$2; shift 2 ;;
    --join-code | --join-code=*)
      say "--join-code is refused: a command line is visible to every user of this host (ps); pass the code as LORMAS_JOIN_CODE in the environment"
      exit 2 ;;
    --release-key) [ $# -ge 2 ] || usage; FINGERPRINT=$2; shift 2 ;;
    -h | --help) usage ;;
    *) say "unknown argument: $1"; usage ;;
  esac
done
[ -n "$SERVER" ] && [ -n "$FINGERPRINT" ] || usage
[ -n "$CODE" ] || { say "no join code: pass it as LORMAS_JOIN_CODE in the environment, through sudo with --preserve-env=LORMAS_JOIN_CODE"; usage; }
SERVER=${SERVER%/}
case $SERVER in
  http://*/* | https://*/*) die "--server must be an origin without a path, such as https://lormas.example.com" ;;
  http://?* | https://?*) ;;
  *) die "--server must start with http:// or https://" ;;
esac
case $SERVER in *[!A-Za-z0-9.:/_-]*) die "--server holds characters no host name has" ;; esac
case $CODE in *[!A-Za-z0-9_-]*) die "LORMAS_JOIN_CODE is not a join code" ;; esac
[ ${#CODE} -ge 22 ] || die "LORMAS_JOIN_CODE is too short to be a join code"
FINGERPRINT=$(printf '%s' "$FINGERPRINT" | tr 'A-F' 'a-f')
case $FINGERPRINT in *[!0-9a-f]*) die "--release-key must be 64 hex digits" ;; esac
[ ${#FINGERPRINT} -eq 64 ] || die "--release-key must be 64 hex digits"
case $SERVER in https://*) AGENT_URL="wss://${SERVER#https://}" ;; *) AGENT_URL="ws://${SERVER#http://}" ;; esac

[ "$(id -u)" -eq 0 ] || die "run as root: curl ... | LORMAS_JOIN_CODE=... sudo --preserve-env=LORMAS_JOIN_CODE sh -s -- ..."
for tool in curl sha256sum base64 tr sed awk od uname mktemp install; do
  command -v "$tool" >/dev/null 2>&1 || die "this script needs $tool"
done

case $(uname -m) in
  x86_64 | amd64) ARCH=x64 ;;
  aarch64 | arm64) ARCH=arm64 ;;
  *) die "no agent build for this CPU ($(uname -m))" ;;
esac

# Node.js 18 or newer runs the JavaScript build; without it, the single executable.
if [ "${LORMAS_NODE+set}" = set ]; then NODE=$LORMAS_NODE; else NODE=$(command -v node 2>/dev/null || true); fi
KIND=exe
if [ -n "$NODE" ]; then
  major=$("$NODE" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  if [ "$major" -ge 18 ] 2>/dev/null; then KIND=js; else say "Node.js $major is older than 18; using the single executable"; fi
fi
if [ "$KIND" = js ]; then BUILD_ARCH=any; FILE=agent.js; else BUILD_ARCH=$ARCH; FILE=lormas-agent; fi

TMP=$(mktemp -d)
# INT and TERM end the script, with the shell's status for the signal, and EXIT cleans up: a trap
# that only cleaned up would let the script run on into the next step without its files.
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
fetch() {
  curl -fsS --proto '=http,https' --max-redirs 0 -o "$2" "$SERVER$1" || die "could not download $SERVER$1"
}

# The release key: the server hands it out, the fingerprint from the operator vouches for it.
fetch /agent/release-key "$TMP/key"
KEY=$(tr -d ' \n\r' <"$TMP/key")
case $KEY in *[!A-Za-z0-9+/=]*) die "the server's release key is not base64" ;; esac
[ ${#KEY} -eq 44 ] || die "the server's release key is not an Ed25519 public key"
got=$(printf '%s' "$KEY" | base64 -d | sha256sum | cut -c1-64)
[ "$got" = "$FINGERPRINT" ] || die "the server's release key has fingerprint $got, not $FINGERPRINT: refusing to install"

fetch "/agent/latest/$KIND-$BUILD_ARCH/manifest" "$TMP/manifest"
fetch "/agent/latest/$KIND-$BUILD_ARCH/signature" "$TMP/signature"

# Ed25519 over the manifest's exact bytes: with Node.js where the build needs it anyway, else OpenSSL 3.
if [ "$KIND" = js ]; then
  "$NODE" -e '
    const { createPublicKey, verify } = require("crypto");
    const { readFileSync } = require("fs");
    const [key, manifest, signature] = process.argv.slice(1).map((file) => readFileSync(file));
    const der = Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), Buffer.from(key.toString().trim(), "base64")]);
    const ok = verify(null, manifest, createPublicKey({ key: der, format: "der", type: "spki" }), Buffer.from(signature.toString().trim(), "base64"));
    process.exit(ok ? 0 : 1);' "$TMP/key" "$TMP/manifest" "$TMP/signature" || die "the build's manifest is not signed by the release key: refusing to install"
elif command -v openssl >/dev/null 2>&1; then
  # The key's DER form: the SubjectPublicKeyInfo prefix of Ed25519 (RFC 8410), then its 32 bytes.
  printf '\060\052\060\005\006\003\053\145\160\003\041\000' >"$TMP/key.der"
  printf '%s' "$KEY" | base64 -d >>"$TMP/key.der"
  tr -d ' \n\r' <"$TMP/signature" | base64 -d >"$TMP/signature.bin"
  openssl pkey -pubin -inform DER -in "$TMP/key.der" -out "$TMP/key.pem" 2>/dev/null || die "OpenSSL cannot read an Ed25519 key (OpenSSL 3 is needed)"
  openssl pkeyutl -verify -pubin -inkey "$TMP/key.pem" -rawin -in "$TMP/manifest" -sigfile "$TMP/signature.bin" >/dev/null 2>&1 ||
    die "the build's manifest is not signed by the release key (or OpenSSL is older than 3): refusing to install"
else
  die "cannot check the build's signature: install Node.js 18+ or OpenSSL 3"
fi

# A file's exact bytes as a JSON string. The launcher checks the signature over the string's
# text, so every byte the key signed must come back: a trailing newline or CR too (a command
# substitution would drop the one, and a raw CR is no JSON).
json_string() {
  od -An -v -tu1 "$1" | LC_ALL=C awk '
    BEGIN { printf "\"" }
    {
      for (i = 1; i <= NF; i++) {
        b = $i + 0
        if (b == 34) printf "\\\""; else if (b == 92) printf "\\\\"; else if (b < 32 || b == 127) printf "\\u%04x", b; else printf "%c", b
      }
    }
    END { printf "\"" }'
}

# The manifest is verified: its fields can be read. It is one line of JSON, keys in a fixed order.
field() { sed -n "s/.*\"$1\":\"\{0,1\}\([^\",}]*\)\"\{0,1\}[,}].*/\1/p" "$TMP/manifest"; }
VERSION=$(field version)
SHA256=$(field sha256)
SIZE=$(field sizeBytes)
[ "$(field kind)" = "$KIND" ] && [ "$(field arch)" = "$BUILD_ARCH" ] || die "the server's manifest is for another kind of build"
case $SHA256 in *[!0-9a-f]*) die "the manifest's SHA-256 is malformed" ;; esac
[ ${#SHA256} -eq 64 ] || die "the manifest's SHA-256 is malformed"

fetch "/agent/builds/$SHA256" "$TMP/build"
[ "$(wc -c <"$TMP/build" | tr -d ' ')" = "$SIZE" ] || die "the downloaded build has another size than its manifest says: refusing to install"
[ "$(sha256sum "$TMP/build" | cut -c1-64)" = "$SHA256" ] || die "the downloaded build does not hash to its manifest's SHA-256: refusing to install"
say "verified agent $VERSION ($KIND, $BUILD_ARCH), signed by release key $FINGERPRINT"

# The user: a system account in the docker group (the engine's socket), no shell, no home of its own.
getent group docker >/dev/null 2>&1 || die "there is no docker group: install Docker first"
if ! id "$AGENT_USER" >/dev/null 2>&1; then
  useradd --system --user-group --no-create-home --home-dir "$PREFIX" --shell /usr/sbin/nologin "$AGENT_USER" || die "could not create the user $AGENT_USER"
  say "created the system user $AGENT_USER"
fi
usermod -a -G docker "$AGENT_USER" || die "could not add $AGENT_USER to the docker group"

# The files: root's, but the state folder. Each is written beside its place and moved over it.
DIR=$ROOT$PREFIX
install -d -m 0755 -o root -g root "$DIR"
install -m 0755 -o root -g root "$TMP/build" "$DIR/.$FILE.new"
mv -f "$DIR/.$FILE.new" "$DIR/$FILE"
SIGNATURE=$(tr -d ' \n\r' <"$TMP/signature")
printf '{"manifest":%s,"signature":"%s"}\n' "$(json_string "$TMP/manifest")" "$SIGNATURE" >"$DIR/.$FILE.release.json.new"
chmod 0644 "$DIR/.$FILE.release.json.new"
mv -f "$DIR/.$FILE.release.json.new" "$DIR/$FILE.release.json"
install -d -m 0700 -o "$AGENT_USER" -g "$AGENT_USER" "$DIR/state"

CONF=$DIR/agent.conf
if [ -f "$CONF" ]; then
  # Kept, with the operator's guard rails; only the server and the release key follow this run.
  sed -e "s|^SERVER_URL=.*|SERVER_URL=$AGENT_URL|" -e "s|^RELEASE_KEY=.*|RELEASE_KEY=$KEY|" "$CONF" >"$CONF.new"
  grep -q '^RELEASE_KEY=' "$CONF.new" || printf 'RELEASE_KEY=%s\n' "$KEY" >>"$CONF.new"
else
  cat >"$CONF.new" <<CONF
# Lormas agent settings. Root's alone (root:lormas 0640): the agent reads them at every start
# and can change none of them; the guard rails and the release key are read from here only.
SERVER_URL=$AGENT_URL
NODE_NAME=$(hostname 2>/dev/null || uname -n)
STATE_DIR=$PREFIX/state
# The operator's release key: the agent runs and installs only builds it signed.
RELEASE_KEY=$KEY
# ALLOW_DOWNGRADE=false
# Guard rails: each is denied until allowed here (see the README's security model).
# ALLOW_PRIVILEGED=false
# BIND_ALLOW_LIST=
# VOLUME_ALLOW_LIST=
# ALLOWED_CAPABILITIES=
# ALLOWED_SECURITY_OPTS=
CONF
fi
chown "root:$AGENT_USER" "$CONF.new"
chmod 0640 "$CONF.new"
mv -f "$CONF.new" "$CONF"

if [ "$KIND" = js ]; then RUN="$NODE $PREFIX/$FILE"; else RUN="$PREFIX/$FILE"; fi
RUN_HERE=$(printf '%s' "$RUN" | sed "s|$PREFIX|$DIR|g")

# The join, as the agent's user, so the token file is its own; the code never lands on disk.
as_agent() {
  if command -v setpriv >/dev/null 2>&1; then
    setpriv --reuid="$AGENT_USER" --regid="$AGENT_USER" --init-groups -- "$@"
  elif command -v runuser >/dev/null 2>&1; then
    runuser -u "$AGENT_USER" -- "$@"
  else
    die "this script needs setpriv or runuser"
  fi
}
if [ -f "$DIR/state/node-token" ]; then
  say "this node has joined already; its token is kept (remove $PREFIX/state/node-token to join again)"
else
  # Exported, not passed as `env JOIN_CODE=...`: an argument would show the code in ps.
  # shellcheck disable=SC2086 # RUN_HERE is a command and its file argument.
  (cd "$DIR" && CONFIG_FILE=$DIR/agent.conf STATE_DIR=$DIR/state JOIN_CODE=$CODE && export CONFIG_FILE STATE_DIR JOIN_CODE && as_agent $RUN_HERE join) ||
    die "the join failed (see above); nothing was started"
  say "joined the server at $SERVER"
fi

UNIT_DIR=$ROOT/etc/systemd/system
install -d -m 0755 "$UNIT_DIR"
cat >"$UNIT_DIR/.$UNIT.new" <<UNITFILE
# Lormas node agent, installed by $SERVER/agent/install.sh. The launcher runs the current
# build, verifies every build it starts, and goes back by itself when an upgrade fails.
[Unit]
Description=Lormas Node Agent
Documentation=https://github.com/lormas/node-agent#readme
After=network-online.target docker.service
Wants=network-online.target

[Service]
Type=simple
User=$AGENT_USER
Group=$AGENT_USER
SupplementaryGroups=docker
WorkingDirectory=$PREFIX
Environment=CONFIG_FILE=$PREFIX/agent.conf
ExecStart=$RUN launch
Restart=always
RestartSec=5
KillSignal=SIGTERM
KillMode=mixed
TimeoutStopSec=30
RestartPreventExitStatus=2
NoNewPrivileges=true
ProtectSystem=strict
ProtectHome=true
PrivateTmp=true
ReadWritePaths=$PREFIX/state

[Install]
WantedBy=multi-user.target
UNITFILE
chmod 0644 "$UNIT_DIR/.$UNIT.new"
mv -f "$UNIT_DIR/.$UNIT.new" "$UNIT_DIR/$UNIT"

if command -v systemctl >/dev/null 2>&1; then
  systemctl daemon-reload
  systemctl enable "$UNIT" >/dev/null
  systemctl restart "$UNIT"
  say "agent $VERSION installed and started: journalctl -u lormas-agent -f"
else
  say "agent $VERSION installed; no systemd here: start it with  cd $PREFIX && CONFIG_FILE=$PREFIX/agent.conf $RUN launch"
fi
