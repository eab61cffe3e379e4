#!/bin/bash
# Entrypoint of postgres-replica (docker-compose.cluster.yml): a hot standby of postgres-primary.
# With no database in PGDATA yet, it copies the primary with pg_basebackup -R, which writes
# standby.signal and primary_conninfo, then hands over to the image's own entrypoint, which
# starts PostgreSQL on the copy as a standby. To rebuild the replica: stop it, remove its
# volume, start it again.
set -euo pipefail

PRIMARY_HOST=${PRIMARY_HOST:-postgres-primary}
SLOT=${REPLICATION_SLOT:-replica_1}
export PGPASSWORD=${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -n "$(ls -A "$PGDATA" 2>/dev/null)" ]; then
    echo "$PGDATA holds files but no database: refusing to overwrite them" >&2
    exit 1
  fi
  until pg_isready -q -h "$PRIMARY_HOST" -U "$POSTGRES_USER" -d "$POSTGRES_DB"; do
    echo "waiting for $PRIMARY_HOST"
    sleep 2
  done
  # A slot keeps on the primary the WAL this standby has not received yet, up to the primary's
  # max_slot_wal_keep_size. One left by an earlier copy (perhaps given up) is dropped:
  # pg_basebackup -C makes a fresh one for this copy.
  psql -h "$PRIMARY_HOST" -U "$POSTGRES_USER" -d "$POSTGRES_DB" -v ON_ERROR_STOP=1 -qAt \
    -v slot="$SLOT" >/dev/null <<'SQL'
SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = :'slot';
SQL
  # Copied beside PGDATA, on the same volume, and renamed when complete: a copy cut short
  # (container stopped) is started again from scratch, never taken for a database.
  partial="$PGDATA.partial"
  rm -rf "$partial"
  mkdir -p "$partial"
  chown postgres:postgres "$partial"
  chmod 700 "$partial"
  gosu postgres pg_basebackup -h "$PRIMARY_HOST" -U "$POSTGRES_USER" -D "$partial" \
    -R -X stream -C -S "$SLOT" --checkpoint=fast
  rmdir "$PGDATA" 2>/dev/null || true
  mv "$partial" "$PGDATA"
fi

exec docker-entrypoint.sh "$@"
