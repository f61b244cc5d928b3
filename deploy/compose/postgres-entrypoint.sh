#!/bin/sh
# What the upstream postgres image does on an empty volume, on Debian's PostgreSQL: initdb,
# POSTGRES_USER/POSTGRES_PASSWORD/POSTGRES_DB, then /docker-entrypoint-initdb.d/*.sql.
set -eu
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  initdb --pgdata="$PGDATA" --username=postgres --auth-local=trust --auth-host=scram-sha-256 \
    --encoding=UTF8 > /dev/null
  echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  pg_ctl --pgdata="$PGDATA" --options="-c listen_addresses=''" --wait start > /dev/null
  psql --username=postgres --set=ON_ERROR_STOP=1 --quiet \
    --command="CREATE ROLE \"$POSTGRES_USER\" LOGIN SUPERUSER PASSWORD '$POSTGRES_PASSWORD'" \
    --command="CREATE DATABASE \"$POSTGRES_DB\" OWNER \"$POSTGRES_USER\""
  for script in /docker-entrypoint-initdb.d/*.sql; do
    [ -e "$script" ] && psql --username=postgres --set=ON_ERROR_STOP=1 --quiet --file="$script"
  done
  pg_ctl --pgdata="$PGDATA" --mode=fast --wait stop > /dev/null
fi
exec postgres -D "$PGDATA" -c listen_addresses='*'
