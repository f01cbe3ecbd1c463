#!/bin/sh
# The compose file's namespace job (image temporalio/admin-tools): a new server has no namespace, and the
# worker and intake use TEMPORAL_NAMESPACE (default `default`). Waits for the frontend at TEMPORAL_ADDRESS,
# then creates the namespace unless it exists. Idempotent: it runs at every `docker compose up`.
set -eu
namespace="${TEMPORAL_NAMESPACE:-default}" retention="${NAMESPACE_RETENTION:-72h}"
: "${TEMPORAL_ADDRESS:?set TEMPORAL_ADDRESS}"
tries=0
until temporal operator namespace describe --namespace "$namespace" >/dev/null 2>&1; do
  if temporal operator namespace create --namespace "$namespace" --retention "$retention" >/dev/null 2>&1; then
    echo "namespace $namespace created (retention $retention)"
    exit 0
  fi
  tries=$((tries + 1))
  [ "$tries" -lt 90 ] || { echo "Temporal at $TEMPORAL_ADDRESS did not answer for 3 minutes" >&2; exit 1; }
  sleep 2
done
echo "namespace $namespace exists"
