#!/bin/sh
# compose.yaml's Postgres runs this once, after postgres.sql, when its volume is new:
# the roles' passwords from the environment file (DUBAN_DB_PASSWORD, PREFECT_DB_PASSWORD).
set -eu
psql -v ON_ERROR_STOP=1 -U postgres -v pw="$DUBAN_DB_PASSWORD" <<'SQL'
ALTER ROLE duban PASSWORD :'pw';
SQL
psql -v ON_ERROR_STOP=1 -U postgres -v pw="$PREFECT_DB_PASSWORD" <<'SQL'
ALTER ROLE prefect PASSWORD :'pw';
SQL
