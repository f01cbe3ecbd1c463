#!/usr/bin/env bash
# Obtains everything the tests and `npm start` need, caching it under .tools/.
# Idempotent: every step checks before it acts. Usage: provision.sh [cli|test-server|all]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
BIN="$TOOLS/bin"
CLI_VERSION="v1.5.1"
mkdir -p "$BIN"
what="${1:-all}"

say() { printf '[provision] %s\n' "$*" >&2; }

# Runs "$@" while printing a line every 20 s: `go install` compiles for minutes without a word.
with_heartbeat() {
  local what="$1" started=$SECONDS
  shift
  (
    while sleep 20; do
      local cache
      cache=$(du -sm "$(go env GOCACHE 2>/dev/null || echo /nonexistent)" 2>/dev/null | cut -f1)
      say "$what: still working, $((SECONDS - started)) s so far${cache:+ (Go build cache ${cache} MiB)}"
    done
  ) &
  local beat=$!
  local status=0
  "$@" || status=$?
  kill "$beat" 2>/dev/null || true
  wait "$beat" 2>/dev/null || true
  return "$status"
}

# One line per step with its time, whether it had anything to do or not.
step() {
  local name="$1" started=$SECONDS
  shift
  "$@"
  say "step $name: done in $((SECONDS - started)) s"
}

provision_cli() {
  if command -v temporal >/dev/null 2>&1 || [ -x "$BIN/temporal" ]; then return 0; fi
  if ! command -v go >/dev/null 2>&1; then
    say "the Temporal CLI is not on PATH and Go is not installed: install Go (https://go.dev/doc/install) or the Temporal CLI, then retry"
    exit 1
  fi
  say "building the Temporal CLI $CLI_VERSION with go install (first time only, about 5 minutes on 2 cores)..."
  local started=$SECONDS
  # -x would be too noisy; go prints its module downloads, the heartbeat covers the silent compile.
  if ! with_heartbeat "building the Temporal CLI" sh -c \
    "CGO_ENABLED=0 GOBIN='$BIN' go install 'github.com/temporalio/cli/cmd/temporal@$CLI_VERSION' 2>&1 | sed 's/^/[provision] go: /' >&2"; then
    say "go install github.com/temporalio/cli/cmd/temporal@$CLI_VERSION failed"
    exit 1
  fi
  [ -x "$BIN/temporal" ] || { say "go install finished but $BIN/temporal is missing"; exit 1; }
  say "Temporal CLI built in $((SECONDS - started)) s"
}

provision_debian_packages() {
  local missing=()
  command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
  [ -x /usr/lib/postgresql/15/bin/initdb ] || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
  command -v prometheus-alertmanager >/dev/null 2>&1 || missing+=(prometheus-alertmanager)
  command -v prometheus >/dev/null 2>&1 || missing+=(prometheus)
  command -v haproxy >/dev/null 2>&1 || missing+=(haproxy)
  command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    say "missing: ${missing[*]} (install them with your package manager; the suites that need them will skip)"
    return 0
  fi
  say "installing Debian packages: ${missing[*]}"
  apt-get update -qq >&2
  with_heartbeat "installing Debian packages" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

provision_test_server() {
  local lib="$TOOLS/test-server/lib" wrapper="$BIN/temporal-test-server" jsa="$TOOLS/test-server/app.jsa"
  if [ -x "$wrapper" ] && [ -f "$jsa" ] && [ -f "$TOOLS/test-server/.pom.sha" ] &&
    [ "$(cat "$TOOLS/test-server/.pom.sha")" = "$(sha256sum "$ROOT/scripts/test-server/pom.xml" | cut -c1-64)" ]; then
    return 0
  fi
  command -v mvn >/dev/null 2>&1 && command -v java >/dev/null 2>&1 || {
    say "Maven and Java are needed to fetch the time-skipping test server: install them (Debian: maven default-jdk-headless)"
    exit 1
  }
  say "fetching io.temporal:temporal-test-server with Maven..."
  rm -rf "$lib" && mkdir -p "$lib"
  with_heartbeat "fetching the test server" \
    mvn -q -B -f "$ROOT/scripts/test-server/pom.xml" dependency:copy-dependencies -DoutputDirectory="$lib" >&2
  cat >"$wrapper" <<WRAP
#!/usr/bin/env bash
# Time-skipping test server; first argument is the port. Fast start: AppCDS archive, C1 only, serial GC.
exec java -XX:SharedArchiveFile="$jsa" -Xshare:auto -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xss1m \\
  -cp "$lib/*" io.temporal.testserver.TestServer "\$@"
WRAP
  chmod +x "$wrapper"
  say "creating the class-data-sharing archive for a fast JVM start..."
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  java -XX:ArchiveClassesAtExit="$jsa" -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp "$lib/*" \
    io.temporal.testserver.TestServer "$port" >/dev/null 2>&1 &
  local pid=$!
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
  done
  sleep 1
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  [ -f "$jsa" ] || say "warning: no CDS archive was written; the test server will start without it"
  sha256sum "$ROOT/scripts/test-server/pom.xml" | cut -c1-64 >"$TOOLS/test-server/.pom.sha"
}

case "$what" in
  cli) step "Temporal CLI" provision_cli ;;
  test-server) step "time-skipping test server" provision_test_server ;;
  all)
    step "Debian packages" provision_debian_packages
    step "Temporal CLI" provision_cli
    step "time-skipping test server" provision_test_server
    ;;
  *) say "usage: provision.sh [cli|test-server|all]"; exit 2 ;;
esac
