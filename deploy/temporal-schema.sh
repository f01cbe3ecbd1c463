#!/bin/sh
# The compose file's schema job (image temporalio/admin-tools), run to completion before the server starts:
# Temporal's two databases and their schemas, migrated to the tool's version, as `npm run cluster` does. It
# replaces temporalio/auto-setup, which Temporal marks as not for production. Each step is idempotent, so
# it runs at every `docker compose up` and applies only what is new. Reads SQL_HOST, SQL_PORT, SQL_USER and
# SQL_PASSWORD (the password by environment, never as an argument, where `ps` would show it).
set -eu
: "${SQL_HOST:?set SQL_HOST}" "${SQL_USER:?set SQL_USER}" "${SQL_PASSWORD:?set SQL_PASSWORD}"
export SQL_PLUGIN=postgres12 SQL_PORT="${SQL_PORT:-5432}"

for pair in temporal:postgresql/v12/temporal temporal_visibility:postgresql/v12/visibility; do
  db="${pair%%:*}" schema="${pair#*:}"
  echo "database $db: created if new, schema $schema migrated"
  temporal-sql-tool --db "$db" create-database
  temporal-sql-tool --db "$db" setup-schema -v 0.0
  temporal-sql-tool --db "$db" update-schema --schema-name "$schema"
done
