#!/bin/bash
# Run once by the postgres image when it creates the primary's database
# (/docker-entrypoint-initdb.d; sourced when not executable, so it sets no shell options).
# The image lets every host in for all databases, which does not cover replication
# connections: let postgres-replica's pg_basebackup and WAL stream in too, with the same
# password check.
echo "host replication ${POSTGRES_USER} all scram-sha-256" >> "$PGDATA/pg_hba.conf"
