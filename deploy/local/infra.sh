#!/usr/bin/env bash
# Brings up what Vigil runs on, without Docker: npm dependencies, a real Kafka 3.9 (KRaft) broker,
# PostgreSQL prepared with a schema and a role per service, and S3Proxy (a local S3 server for the
# retention-worker's archives).
#
#   deploy/local/infra.sh up     install deps if missing, start Kafka (SASL/SCRAM + ACLs), provision
#                                its topics and ACLs as the admin, start S3Proxy (bucket made once),
#                                prepare PostgreSQL
#   deploy/local/infra.sh down   stop the Kafka broker and S3Proxy started here
#
# DATABASE_ADMIN_URL (superuser, default postgres://postgres@127.0.0.1:5432/postgres) and
# KAFKA_BROKERS (default: the local broker) point it at other servers.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
log() { printf '[infra] %s\n' "$*" >&2; }

ensure_node_modules() {
  if [[ ! -d node_modules/kafkajs || ! -d node_modules/@aws-sdk/client-s3 || package-lock.json -nt node_modules/.package-lock.json ]]; then
    log "installing npm dependencies (npm ci)"
    npm ci --no-audit --no-fund --loglevel=error
  fi
}

ensure_postgres() {
  local url="${DATABASE_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
  if node -e "const {Client}=require('pg');const c=new Client({connectionString:process.argv[1],connectionTimeoutMillis:3000});c.connect().then(()=>c.end()).catch(()=>process.exit(1))" "$url"; then
    return
  fi
  if [[ -z "${DATABASE_ADMIN_URL:-}" ]] && command -v pg_ctlcluster >/dev/null; then
    log "PostgreSQL not answering on 127.0.0.1:5432; starting the local cluster"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | tail -1)" main start || true
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 && return; sleep 1; done
  fi
  log "PostgreSQL is not reachable at DATABASE_ADMIN_URL (or 127.0.0.1:5432)"; exit 1
}

case "${1:-}" in
  up)
    ensure_node_modules
    ensure_postgres
    bash deploy/local/kafka.sh start
    # Topics, DLQs and per-service ACLs (idempotent). Test runs may also use test.* topics.
    if [[ "${NODE_ENV:-}" == test ]]; then
      bash deploy/local/kafka.sh provision --test-prefix test.
    else
      bash deploy/local/kafka.sh provision
    fi
    bash deploy/local/s3proxy.sh start
    node deploy/local/db-setup.js
    ;;
  down)
    bash deploy/local/s3proxy.sh stop
    bash deploy/local/kafka.sh stop
    ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
