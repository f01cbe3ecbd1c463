#!/usr/bin/env bash
# Obtains everything the tests and `npm start` need, caching it under .tools/.
# Idempotent: every step checks before it acts. Usage: provision.sh [cli|test-server|cluster|kubernetes|otelcol|all]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
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
  command -v docker-registry >/dev/null 2>&1 || missing+=(docker-registry)
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
    [ "$(cat "$TOOLS/test-server/.pom.sha")" = "$(sha256sum "$ROOT/scripts/ops/builds/test-server/pom.xml" | cut -c1-64)" ]; then
    return 0
  fi
  command -v mvn >/dev/null 2>&1 && command -v java >/dev/null 2>&1 || {
    say "Maven and Java are needed to fetch the time-skipping test server: install them (Debian: maven default-jdk-headless)"
    exit 1
  }
  say "fetching io.temporal:temporal-test-server with Maven..."
  rm -rf "$lib" && mkdir -p "$lib"
  with_heartbeat "fetching the test server" \
    mvn -q -B -f "$ROOT/scripts/ops/builds/test-server/pom.xml" dependency:copy-dependencies -DoutputDirectory="$lib" >&2
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
  sha256sum "$ROOT/scripts/ops/builds/test-server/pom.xml" | cut -c1-64 >"$TOOLS/test-server/.pom.sha"
}

# The Temporal server, its SQL schema tool and the Web UI server for `npm run cluster`. Both modules need a
# newer Go than Debian's: the go command fetches the named toolchain from the module proxy (GOTOOLCHAIN).
SERVER_VERSION="v1.32.2"
UI_SERVER_VERSION="v2.58.1"
CLUSTER_TOOLCHAIN="go1.27.3"
provision_cluster() {
  local stamp="$TOOLS/cluster.version" want="server $SERVER_VERSION ui-server $UI_SERVER_VERSION"
  if [ -x "$BIN/temporal-server" ] && [ -x "$BIN/temporal-sql-tool" ] && [ -x "$BIN/temporal-ui-server" ] &&
    [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    return 0
  fi
  command -v go >/dev/null 2>&1 || { say "Go is needed to build the Temporal server for npm run cluster"; exit 1; }
  say "building the Temporal server $SERVER_VERSION, its schema tool and UI server $UI_SERVER_VERSION (first time only, about 9 minutes on 2 cores)..."
  local started=$SECONDS scratch="$TOOLS/cluster-build"
  rm -rf "$scratch" && mkdir -p "$scratch/server" "$scratch/sql" "$scratch/ui"
  # Each `go install` names its binary after the package directory (`server`, `sql`), hence one GOBIN per
  # binary, renamed into .tools/bin.
  local pkg dir
  for spec in "server:go.temporal.io/server/cmd/server@$SERVER_VERSION" \
    "sql:go.temporal.io/server/cmd/tools/sql@$SERVER_VERSION"; do
    dir="${spec%%:*}" pkg="${spec#*:}"
    if ! with_heartbeat "building $pkg" sh -c \
      "GOTOOLCHAIN=$CLUSTER_TOOLCHAIN CGO_ENABLED=0 GOBIN='$scratch/$dir' go install '$pkg' 2>&1 | sed 's/^/[provision] go: /' >&2"; then
      say "go install $pkg failed"
      exit 1
    fi
  done
  # The UI server's own go.mod asks for go.temporal.io/api v1.64.0 and echo v4.16.1, which the module proxy
  # here refuses: scripts/ops/builds/ui-server/go.mod requires api v1.64.1 and pins echo to v4.16.0 instead.
  if ! with_heartbeat "building the UI server" sh -c \
    "cd '$ROOT/scripts/ops/builds/ui-server' && GOTOOLCHAIN=$CLUSTER_TOOLCHAIN CGO_ENABLED=0 go build -o '$scratch/ui/temporal-ui-server' github.com/temporalio/ui-server/v2/cmd/server 2>&1 | sed 's/^/[provision] go: /' >&2"; then
    say "building github.com/temporalio/ui-server/v2 $UI_SERVER_VERSION failed"
    exit 1
  fi
  mv "$scratch/server/server" "$BIN/temporal-server"
  mv "$scratch/sql/sql" "$BIN/temporal-sql-tool"
  mv "$scratch/ui/temporal-ui-server" "$BIN/temporal-ui-server"
  rm -rf "$scratch"
  echo "$want" >"$stamp"
  say "Temporal server, schema tool and UI server built in $((SECONDS - started)) s"
}

# A Kubernetes control plane for the tests and `npm run drill -- --kubernetes`: the API server, controller
# manager and scheduler of Kubernetes, etcd, and kwok's fake nodes (pods are scheduled and reported running
# without a kubelet). Kubernetes builds from a scratch module (scripts/ops/builds/kubernetes/go.mod) whose replace
# lines point its staging modules at their releases; without the version flags clients cannot parse the
# server's version. Debian's etcd 3.4 lacks RequestWatchProgress (watches stall): etcd 3.6 is built instead.
KUBERNETES_VERSION="v1.34.4"
ETCD_VERSION="v3.6.8"
KWOK_VERSION="v0.7.0"
provision_kubernetes() {
  local stamp="$TOOLS/kubernetes.version" want="kubernetes $KUBERNETES_VERSION etcd $ETCD_VERSION kwok $KWOK_VERSION"
  local b missing=""
  for b in kube-apiserver kube-controller-manager kube-scheduler etcd kwok; do [ -x "$BIN/$b" ] || missing=1; done
  if [ -z "$missing" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then return 0; fi
  command -v go >/dev/null 2>&1 || { say "Go is needed to build the Kubernetes control plane for the tests"; exit 1; }
  say "building Kubernetes $KUBERNETES_VERSION (API server, controller manager, scheduler), etcd $ETCD_VERSION and kwok $KWOK_VERSION (first time only, about 12 minutes on 2 cores)..."
  local started=$SECONDS scratch="$TOOLS/kubernetes-build"
  rm -rf "$scratch" && mkdir -p "$scratch/etcd" "$scratch/kwok"
  local v="k8s.io/component-base/version"
  local flags="-s -w -X $v.gitVersion=$KUBERNETES_VERSION -X $v.gitMajor=1 -X $v.gitMinor=34 -X $v.gitTreeState=clean"
  # pipefail: a failed build must not hide behind the prefixing sed.
  if ! with_heartbeat "building Kubernetes" bash -o pipefail -c \
    "cd '$ROOT/scripts/ops/builds/kubernetes' && CGO_ENABLED=0 go build -trimpath -ldflags '$flags' -o '$scratch/' k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler 2>&1 | sed 's/^/[provision] go: /' >&2"; then
    say "building Kubernetes $KUBERNETES_VERSION failed"
    exit 1
  fi
  # etcd's go.mod holds replace directives, which `go install …@version` refuses: a scratch module too.
  if ! with_heartbeat "building etcd" bash -o pipefail -c \
    "cd '$ROOT/scripts/ops/builds/etcd' && CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o '$scratch/etcd/etcd' go.etcd.io/etcd/server/v3 2>&1 | sed 's/^/[provision] go: /' >&2"; then
    say "building etcd $ETCD_VERSION failed"
    exit 1
  fi
  if ! with_heartbeat "building kwok" bash -o pipefail -c \
    "CGO_ENABLED=0 GOBIN='$scratch/kwok' go install -trimpath -ldflags '-s -w' 'sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION' 2>&1 | sed 's/^/[provision] go: /' >&2"; then
    say "go install sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION failed"
    exit 1
  fi
  for b in kube-apiserver kube-controller-manager kube-scheduler; do mv "$scratch/$b" "$BIN/$b"; done
  mv "$scratch/etcd/etcd" "$BIN/etcd"
  mv "$scratch/kwok/kwok" "$BIN/kwok"
  rm -rf "$scratch"
  echo "$want" >"$stamp"
  say "Kubernetes control plane built in $((SECONDS - started)) s"
}

# The OpenTelemetry Collector, for the test that sends an alert's trace through a real one. `go install` does
# not build it (its core distribution is not a package of the module `go install` finds, and Jaeger's
# `cmd/jaeger` has replace directives): the collector's own builder (ocb) generates a distribution with the
# OTLP receiver and the OTLP/HTTP exporter, and compiles it.
OTELCOL_VERSION="v0.165.0"
provision_otelcol() {
  local stamp="$TOOLS/otelcol.version" want="otelcol $OTELCOL_VERSION otlpreceiver otlphttpexporter"
  if [ -x "$BIN/otelcol" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then return 0; fi
  command -v go >/dev/null 2>&1 || { say "Go is needed to build the OpenTelemetry Collector for the tests"; exit 1; }
  say "building the OpenTelemetry Collector $OTELCOL_VERSION with its builder (first time only, about 2 minutes on 2 cores)..."
  local started=$SECONDS scratch="$TOOLS/otelcol-build"
  rm -rf "$scratch" && mkdir -p "$scratch/bin"
  cat >"$scratch/manifest.yaml" <<MANIFEST
dist:
  name: otelcol
  output_path: $scratch/dist
receivers:
  - gomod: go.opentelemetry.io/collector/receiver/otlpreceiver $OTELCOL_VERSION
exporters:
  - gomod: go.opentelemetry.io/collector/exporter/otlphttpexporter $OTELCOL_VERSION
MANIFEST
  if ! with_heartbeat "building the OpenTelemetry Collector" bash -o pipefail -c \
    "GOBIN='$scratch/bin' go install 'go.opentelemetry.io/collector/cmd/builder@$OTELCOL_VERSION' 2>&1 | sed 's/^/[provision] go: /' >&2 && cd '$scratch' && CGO_ENABLED=0 '$scratch/bin/builder' --config '$scratch/manifest.yaml' --ldflags '-s -w' 2>&1 | sed 's/^/[provision] ocb: /' >&2"; then
    say "building the OpenTelemetry Collector $OTELCOL_VERSION failed"
    exit 1
  fi
  mv "$scratch/dist/otelcol" "$BIN/otelcol"
  rm -rf "$scratch"
  echo "$want" >"$stamp"
  say "OpenTelemetry Collector built in $((SECONDS - started)) s"
}

case "$what" in
  cli) step "Temporal CLI" provision_cli ;;
  test-server) step "time-skipping test server" provision_test_server ;;
  cluster) step "Temporal cluster binaries" provision_cluster ;;
  kubernetes) step "Kubernetes control plane" provision_kubernetes ;;
  otelcol) step "OpenTelemetry Collector" provision_otelcol ;;
  all)
    step "Debian packages" provision_debian_packages
    step "Temporal CLI" provision_cli
    step "time-skipping test server" provision_test_server
    step "Temporal cluster binaries" provision_cluster
    step "Kubernetes control plane" provision_kubernetes
    step "OpenTelemetry Collector" provision_otelcol
    ;;
  *) say "usage: provision.sh [cli|test-server|cluster|kubernetes|otelcol|all]"; exit 2 ;;
esac
