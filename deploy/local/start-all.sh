#!/usr/bin/env bash
# The quick start: installs what is missing, starts Kafka and PostgreSQL, builds and starts the
# four services, waits until each /health is ready, prints their URLs, and on Ctrl-C stops
# everything in order (services first, so they finish and commit, then the broker).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
log() { printf '[vigil] %s\n' "$*" >&2; }

STARTED_AT=$(date +%s)
KAFKA_WAS_RUNNING=0
bash deploy/local/kafka.sh status >/dev/null 2>&1 && KAFKA_WAS_RUNNING=1 || true
S3_WAS_RUNNING=0
bash deploy/local/s3proxy.sh status >/dev/null 2>&1 && S3_WAS_RUNNING=1 || true
bash deploy/local/infra.sh up
log "building (tsc)"
npx tsc -p tsconfig.build.json

# The services connect to the server db-setup prepared (DATABASE_ADMIN_URL), each as its own role.
PGHOSTPORT="$(node -e 'const u=new URL(process.argv[1]);console.log(`${u.hostname}:${u.port||5432}`)' "${DATABASE_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}")"
DB="${VIGIL_DB:-vigil}"
# One password per role (made by db-setup in .cache/secrets, or VIGIL_DB_PASSWORD_<ROLE>).
role_url() { node deploy/local/db-secrets.js url "$1" "$PGHOSTPORT" "$DB"; }
LOGDIR="$ROOT/.cache/logs"; mkdir -p "$LOGDIR"
declare -A PORTS=([auth-gateway]=3000 [audit-writer]=3001 [security-monitor]=3002 [retention-worker]=3003)
declare -A ROLES=([auth-gateway]=vigil_gateway [audit-writer]=vigil_audit_writer [security-monitor]=vigil_security_monitor [retention-worker]=vigil_retention)
# Each service authenticates to Kafka as its own principal (SCRAM-SHA-512; passwords made by kafka.sh).
declare -A KAFKA_USERS=([auth-gateway]=vigil-gateway [audit-writer]=vigil-audit [security-monitor]=vigil-monitor [retention-worker]=vigil-retention)
KAFKA_SASL_DIR="${KAFKA_SASL_DIR:-${KAFKA_HOME:-$ROOT/.cache/kafka}/sasl}"
# The services talk to the broker kafka.sh started (KAFKA_PORT) unless KAFKA_BROKERS names another.
export KAFKA_BROKERS="${KAFKA_BROKERS:-127.0.0.1:${KAFKA_PORT:-9092}}"
# The retention-worker archives to the S3Proxy infra.sh started (ARCHIVE_STORE=s3, path-style, its
# credentials as files made by s3proxy.sh in .cache/secrets); ARCHIVE_STORE=local in the
# environment keeps archives in a local directory instead.
declare -a ARCHIVE_ENV=()
if [[ "${ARCHIVE_STORE:-s3}" == s3 && -z "${ARCHIVE_S3_BUCKET:-}" ]]; then
  mapfile -t ARCHIVE_ENV < <(bash deploy/local/s3proxy.sh env)
fi
PIDS=()

stop_all() {
  trap - INT TERM EXIT
  log "stopping services"
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [[ $KAFKA_WAS_RUNNING == 0 ]]; then bash deploy/local/kafka.sh stop; fi
  if [[ $S3_WAS_RUNNING == 0 ]]; then bash deploy/local/s3proxy.sh stop; fi
  log "stopped"
  PIDS=()
}
trap 'stop_all; exit 0' INT TERM
trap stop_all EXIT

# The first admin: a random password made once, kept in .cache/admin-credentials (mode 0600).
CREDS="$ROOT/.cache/admin-credentials"
if [[ ! -s "$CREDS" ]]; then
  (umask 077; printf 'username=admin\npassword=%s\n' "$(node -e "console.log(require('crypto').randomBytes(18).toString('base64url'))")-Vg1" >"$CREDS")
fi
ADMIN_PASSWORD="$(sed -n 's/^password=//p' "$CREDS")"

# The security monitor's Ed25519 key for signed security actions, made once, never in the database;
# the gateway trusts its public half (issue 14 item 2). Rotate: audit-keygen.js <dir> --rotate.
ACTION_KEYS="$ROOT/.cache/keys/monitor-actions"
node deploy/local/audit-keygen.js "$ACTION_KEYS" 2>&1 | sed 's/^/[vigil] /' >&2
export MONITOR_ACTION_SIGNING_KEY_FILE="$ACTION_KEYS/signing.key.pem" MONITOR_ACTION_KEY_DIR="$ACTION_KEYS" SECURITY_ACTION_PUBLIC_KEYS="$ACTION_KEYS/public"

# The gateways' password-fingerprint master secret (issue 19 item 1), made once, never in the
# database or a log; every gateway instance reads the same file. Replace: secret-keygen.js <file> --rotate.
FINGERPRINT_KEY="$ROOT/.cache/keys/password-fingerprint/master.key"
node deploy/local/secret-keygen.js "$FINGERPRINT_KEY" 2>&1 | sed 's/^/[vigil] /' >&2
export PASSWORD_FINGERPRINT_KEY_FILE="$FINGERPRINT_KEY"

# What is running, for the DEPLOYMENT event each service announces at start (seeds 002-15, 004-58):
# the package version, and the checked-out commit (none outside a git checkout).
export VIGIL_GIT_SHA="${VIGIL_GIT_SHA:-$(git -C "$ROOT" rev-parse HEAD 2>/dev/null || true)}"

# The audit store's owner migrates it once, here; the running writer never gets its credentials.
DATABASE_MIGRATION_URL="$(role_url vigil_audit_owner)" node -r ./tools/ts-register.js tools/db-migrate.ts audit-writer

# The edge below (loopback) says who the client is in X-Forwarded-For, to every service behind it
# (throttles, audit rows); nothing else is trusted.
export TRUST_PROXY="${TRUST_PROXY:-loopback}"
# The one base URL is the gateway's public URL and its tokens' issuer, which every API checks, so
# OAuth libraries find the same issuer in the discovery document and in the tokens.
export PUBLIC_BASE_URL="${PUBLIC_BASE_URL:-http://127.0.0.1:${EDGE_PORT:-8080}}"
export JWT_ISSUER="${JWT_ISSUER:-$PUBLIC_BASE_URL}" AUTH_ISSUER="${AUTH_ISSUER:-${JWT_ISSUER:-$PUBLIC_BASE_URL}}"
for app in auth-gateway audit-writer security-monitor retention-worker; do
  extra_env=()
  # Its backups run pg_dump as vigil_backup (read-only: pg_read_all_data), never as itself.
  if [[ $app == retention-worker ]]; then extra_env=("${ARCHIVE_ENV[@]}" "BACKUP_DATABASE_URL=$(role_url vigil_backup)"); fi
  if [[ $app == auth-gateway ]]; then
    export BOOTSTRAP_ADMIN_USERNAME=admin BOOTSTRAP_ADMIN_EMAIL=admin@vigil.local BOOTSTRAP_ADMIN_PASSWORD="$ADMIN_PASSWORD"
  else
    unset BOOTSTRAP_ADMIN_USERNAME BOOTSTRAP_ADMIN_EMAIL BOOTSTRAP_ADMIN_PASSWORD
  fi
  HTTP_PORT="${PORTS[$app]}" \
  DATABASE_URL="$(role_url "${ROLES[$app]}")" \
  KAFKA_SASL_MECHANISM=scram-sha-512 KAFKA_USERNAME="${KAFKA_USERS[$app]}" KAFKA_PASSWORD_FILE="$KAFKA_SASL_DIR/${KAFKA_USERS[$app]}.password" \
  OTEL_SERVICE_NAME="$app" \
    env "${extra_env[@]}" node -r ./deploy/runtime/register-paths.js "dist/apps/$app/src/main.js" >>"$LOGDIR/$app.log" 2>&1 &
  PIDS+=($!)
  log "started $app (pid $!, log .cache/logs/$app.log)"
done

# The one base URL: deploy/local/edge.js routes by path prefix (deploy/routes.json), as the Ingress does.
EDGE_PORT="${EDGE_PORT:-8080}"
BASE="http://127.0.0.1:$EDGE_PORT"
EDGE_PORT="$EDGE_PORT" EDGE_HOST=127.0.0.1 node deploy/local/edge.js >>"$LOGDIR/edge.log" 2>&1 &
PIDS+=($!)
log "started edge (pid $!, log .cache/logs/edge.log)"

for app in auth-gateway audit-writer security-monitor retention-worker; do
  url="http://127.0.0.1:${PORTS[$app]}/health"
  for i in $(seq 1 120); do
    if curl -fsS "$url" >/dev/null 2>&1; then break; fi
    if [[ $i == 120 ]]; then log "$app not ready after 60 s; see .cache/logs/$app.log"; curl -sS "$url" || true; exit 1; fi
    sleep 0.5
  done
done
# Each service's health through the edge (gateway /health, the others' <prefix>/health/ready).
for url in "$BASE/health" "$BASE/api/v1/audit/health/ready" "$BASE/api/v1/monitor/health" "$BASE/api/v1/retention/health"; do
  for i in $(seq 1 20); do
    if curl -fsS "$url" >/dev/null 2>&1; then break; fi
    if [[ $i == 20 ]]; then log "the edge does not answer $url; see .cache/logs/edge.log"; exit 1; fi
    sleep 0.5
  done
done

cat >&2 <<MSG
[vigil] all four services are ready ($(( $(date +%s) - STARTED_AT )) s):
  base URL          $BASE   (one URL for the whole API: routes in deploy/routes.json; BASE=$BASE for the seeds' curls)
  auth-gateway      http://127.0.0.1:3000   (/health, /metrics)
  audit-writer      http://127.0.0.1:3001   (/health, /metrics)
  security-monitor  http://127.0.0.1:3002   (/health, /metrics)
  retention-worker  http://127.0.0.1:3003   (/health, /metrics)
  kafka             ${KAFKA_BROKERS:-127.0.0.1:${KAFKA_PORT:-9092}}          postgres  ${PGHOSTPORT}/${DB}
  s3 (S3Proxy)      http://127.0.0.1:${S3_PORT:-9000}   bucket ${S3_BUCKET:-vigil-archive}, keys in .cache/secrets/s3-*
[vigil] admin login: user "admin", password in .cache/admin-credentials
  curl -d "username=admin&password=\$(sed -n 's/^password=//p' .cache/admin-credentials)" $BASE/api/v1/auth/token
[vigil] logs in .cache/logs/; press Ctrl-C to stop everything
MSG
wait -n "${PIDS[@]}" || true
[[ ${#PIDS[@]} -gt 0 ]] && log "a service exited; stopping the rest"
