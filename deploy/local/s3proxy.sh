#!/usr/bin/env bash
# Runs S3Proxy 2.6.0 (an S3 API in front of a local directory) so the retention-worker's S3
# archive store is exercised against a real S3 protocol server. No Docker needed: Java 17 and
# Maven are enough.
#
#   deploy/local/s3proxy.sh start    fetch the jar if missing, make credentials once, start, wait
#                                    until a signed request answers, create the bucket if missing
#   deploy/local/s3proxy.sh stop     stop the server started here (SIGTERM, then SIGKILL after 15 s)
#   deploy/local/s3proxy.sh status   exit 0 when a signed HeadBucket answers
#   deploy/local/s3proxy.sh env      print the ARCHIVE_* variables a service needs to use it
#   deploy/local/s3proxy.sh reset    stop and delete the stored objects (credentials are kept)
#
# S3_PORT (default 9000) and S3_BUCKET (default vigil-archive). The access key and secret are
# random, drawn once into $VIGIL_SECRETS_DIR (default .cache/secrets) as s3-access-key-id and
# s3-secret-access-key (mode 0600), like the database passwords of db-secrets.js. Objects live
# under .cache/s3proxy/data (jclouds filesystem-nio2 provider); the log is .cache/s3proxy/s3proxy.log.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
S3PROXY_VERSION="${S3PROXY_VERSION:-2.6.0}"
S3_PORT="${S3_PORT:-9000}"
S3_BUCKET="${S3_BUCKET:-vigil-archive}"
S3_ENDPOINT="http://127.0.0.1:${S3_PORT}"
S3PROXY_HOME="${S3PROXY_HOME:-$ROOT/.cache/s3proxy}"
JAR="$S3PROXY_HOME/s3proxy-$S3PROXY_VERSION-jar-with-dependencies.jar"
DATA="$S3PROXY_HOME/data"
PIDFILE="$S3PROXY_HOME/s3proxy.pid"
LOGFILE="$S3PROXY_HOME/s3proxy.log"
PROPS="$S3PROXY_HOME/s3proxy.properties"
SECRETS_DIR="${VIGIL_SECRETS_DIR:-$ROOT/.cache/secrets}"
[[ "$SECRETS_DIR" == /* ]] || SECRETS_DIR="$ROOT/$SECRETS_DIR"
KEY_ID_FILE="$SECRETS_DIR/s3-access-key-id"
SECRET_FILE="$SECRETS_DIR/s3-secret-access-key"
S3PROXY_HEAP="${S3PROXY_HEAP:--Xms64m -Xmx256m}"
S3_READY_TIMEOUT="${S3_READY_TIMEOUT:-60}"

log() { printf '[s3proxy] %s\n' "$*" >&2; }

fetch() {
  [[ -s "$JAR" ]] && return
  command -v java >/dev/null || { log "java (17+) is required to run S3Proxy locally"; exit 1; }
  command -v mvn >/dev/null || { log "maven is required to fetch S3Proxy"; exit 1; }
  log "fetching org.gaul:s3proxy:$S3PROXY_VERSION (jar-with-dependencies)"
  mkdir -p "$S3PROXY_HOME/fetch.partial"
  mvn -q -B dependency:copy -Dartifact="org.gaul:s3proxy:$S3PROXY_VERSION:jar:jar-with-dependencies" \
    -DoutputDirectory="$S3PROXY_HOME/fetch.partial"
  mv "$S3PROXY_HOME/fetch.partial/$(basename "$JAR")" "$JAR"
  rm -rf "$S3PROXY_HOME/fetch.partial"
}

# A random access key id and secret, drawn once (files 0600, directory 0700).
ensure_credentials() {
  mkdir -p "$SECRETS_DIR" && chmod 700 "$SECRETS_DIR"
  [[ -s "$KEY_ID_FILE" ]] || (umask 077; printf 'VIGIL%s\n' "$(openssl rand -hex 8 | tr a-f A-F)" >"$KEY_ID_FILE")
  [[ -s "$SECRET_FILE" ]] || (umask 077; openssl rand -base64 30 | tr -d '\n/+=' >"$SECRET_FILE"; echo >>"$SECRET_FILE")
}

write_config() {
  mkdir -p "$S3PROXY_HOME" "$DATA"
  local id secret
  id="$(head -1 "$KEY_ID_FILE")"
  secret="$(head -1 "$SECRET_FILE")"
  # Holds the secret: readable by its owner only.
  (umask 077; cat >"$PROPS" <<PROPS
s3proxy.endpoint=${S3_ENDPOINT}
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=${id}
s3proxy.credential=${secret}
jclouds.provider=filesystem-nio2
jclouds.filesystem.basedir=${DATA}
jclouds.identity=${id}
jclouds.credential=${secret}
PROPS
  )
}

running_pid() {
  [[ -f "$PIDFILE" ]] || return 1
  local pid; pid="$(cat "$PIDFILE")"
  kill -0 "$pid" 2>/dev/null && echo "$pid"
}

# Readiness is a signed request answering (then the bucket exists), not an open port.
wait_ready() {
  [[ -d "$ROOT/node_modules/@aws-sdk/client-s3" ]] || { log "node_modules missing: run npm ci first"; exit 1; }
  S3_ENDPOINT="$S3_ENDPOINT" S3_BUCKET="$S3_BUCKET" S3_READY_TIMEOUT="$S3_READY_TIMEOUT" \
    S3_ACCESS_KEY_ID_FILE="$KEY_ID_FILE" S3_SECRET_ACCESS_KEY_FILE="$SECRET_FILE" \
    node "$ROOT/deploy/local/s3-ready.js" "$@"
}

start() {
  if pid="$(running_pid)"; then log "already running (pid $pid)"; wait_ready --create-bucket; return; fi
  if (exec 3<>"/dev/tcp/127.0.0.1/$S3_PORT") 2>/dev/null; then
    log "port $S3_PORT is taken by another process; using it as the S3 server"; wait_ready --create-bucket; return
  fi
  fetch
  ensure_credentials
  write_config
  log "starting S3Proxy on $S3_ENDPOINT (data: $DATA, log: $LOGFILE)"
  # shellcheck disable=SC2086
  nohup java $S3PROXY_HEAP -Djava.awt.headless=true -jar "$JAR" --properties "$PROPS" >>"$LOGFILE" 2>&1 &
  echo $! >"$PIDFILE"
  if ! wait_ready --create-bucket; then
    log "not ready; last lines of $LOGFILE:"; tail -20 "$LOGFILE" >&2; exit 1
  fi
}

stop() {
  local pid
  if ! pid="$(running_pid)"; then log "not running"; rm -f "$PIDFILE"; return; fi
  log "stopping pid $pid"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  if kill -0 "$pid" 2>/dev/null; then log "still running after 15 s: SIGKILL"; kill -KILL "$pid" || true; fi
  rm -f "$PIDFILE"
}

print_env() {
  cat <<ENV
ARCHIVE_STORE=s3
ARCHIVE_S3_ENDPOINT=${S3_ENDPOINT}
ARCHIVE_S3_BUCKET=${S3_BUCKET}
ARCHIVE_S3_REGION=us-east-1
ARCHIVE_S3_FORCE_PATH_STYLE=true
ARCHIVE_S3_ACCESS_KEY_ID_FILE=${KEY_ID_FILE}
ARCHIVE_S3_SECRET_ACCESS_KEY_FILE=${SECRET_FILE}
ENV
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) S3_READY_TIMEOUT=5 wait_ready ;;
  env) print_env ;;
  fetch) fetch ;;
  reset) stop; rm -rf "$DATA" ;;
  *) echo "usage: $0 start|stop|status|env|fetch|reset" >&2; exit 2 ;;
esac
