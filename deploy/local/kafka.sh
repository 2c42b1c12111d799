#!/usr/bin/env bash
# Runs a real single-node Apache Kafka 3.9 broker (KRaft: broker + controller in one JVM) from
# Apache Kafka's jars on Maven Central. No Docker needed: Java 17 and Maven are enough.
#
#   deploy/local/kafka.sh start    fetch jars if missing, format storage once (then provision
#                                  topics and ACLs), start, wait until ready
#   deploy/local/kafka.sh stop     stop the broker started here (SIGTERM, then SIGKILL after 30 s)
#   deploy/local/kafka.sh status   exit 0 when a produce/consume round trip works
#   deploy/local/kafka.sh wait     wait (up to KAFKA_READY_TIMEOUT s) for a round trip
#   deploy/local/kafka.sh provision [--test-prefix p]   topics, DLQs and ACLs as vigil-admin
#   deploy/local/kafka.sh reset    stop and delete the local broker's data (and its credentials)
#
# Secure by default: the client listener is SASL_PLAINTEXT with SCRAM-SHA-512, KRaft's
# StandardAuthorizer denies whatever no ACL allows, and a SASL_SSL listener (local CA made here)
# runs beside it on KAFKA_TLS_PORT (default KAFKA_PORT+2; KAFKA_TLS_LISTENER=0 turns it off). One principal
# per service plus vigil-admin (topics, ACLs, operator CLIs, test fixtures) and vigil-broker (the
# broker and controller themselves); their passwords are drawn once, when storage is formatted,
# and kept in $KAFKA_HOME/sasl/<principal>.password (mode 0600). ACLs and topics are made by
# `npm run kafka:provision` (libs/kafka/src/provision.cli.ts), which `start` runs after formatting.
#
# With KAFKA_BROKERS set to anything but the local default, start/stop leave that cluster alone
# and only wait for it to answer (as KAFKA_USERNAME/KAFKA_PASSWORD[_FILE], see kafka-ready.js).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
KAFKA_VERSION="${KAFKA_VERSION:-3.9.1}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
LOCAL_BROKERS="127.0.0.1:${KAFKA_PORT}"
KAFKA_BROKERS="${KAFKA_BROKERS:-$LOCAL_BROKERS}"
KAFKA_HOME="${KAFKA_HOME:-$ROOT/.cache/kafka}"
KAFKA_LIBS="${KAFKA_LIBS:-$ROOT/.cache/kafka/libs-$KAFKA_VERSION}"
LIBS="$KAFKA_LIBS"
DATA="$KAFKA_HOME/data"
PIDFILE="$KAFKA_HOME/kafka.pid"
LOGFILE="$KAFKA_HOME/kafka.log"
KAFKA_HEAP="${KAFKA_HEAP:--Xms256m -Xmx768m}"
KAFKA_READY_TIMEOUT="${KAFKA_READY_TIMEOUT:-90}"
KAFKA_TLS_LISTENER="${KAFKA_TLS_LISTENER:-1}"
KAFKA_TLS_PORT="${KAFKA_TLS_PORT:-$((KAFKA_PORT + 2))}"
# KAFKA_SASL_DIR: another broker's credentials directory may be shared (the fault suites' brokers
# use the main one's, so test fixtures authenticate to either).
SASL_DIR="${KAFKA_SASL_DIR:-$KAFKA_HOME/sasl}"
TLS_DIR="$KAFKA_HOME/tls"
# Every principal the local broker knows (SCRAM-SHA-512 credentials made at format time).
PRINCIPALS=(vigil-broker vigil-admin vigil-gateway vigil-audit vigil-monitor vigil-retention)
# Written into the data directory once it was formatted with these principals.
SECURED_MARK="$DATA/.vigil-sasl"
FRESH=0

log() { printf '[kafka] %s\n' "$*" >&2; }

external() { [[ "$KAFKA_BROKERS" != "$LOCAL_BROKERS" ]]; }

fetch() {
  if [[ -f "$LIBS/kafka_2.13-$KAFKA_VERSION.jar" ]]; then return; fi
  command -v java >/dev/null || { log "java (17+) is required to run Kafka locally"; exit 1; }
  command -v mvn >/dev/null || { log "maven is required to fetch Kafka's jars"; exit 1; }
  log "fetching org.apache.kafka:kafka_2.13:$KAFKA_VERSION and its runtime dependencies"
  mkdir -p "$LIBS.partial"
  mvn -q -B -f "$ROOT/deploy/local/kafka/pom.xml" -Dkafka.version="$KAFKA_VERSION" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$LIBS.partial"
  rm -rf "$LIBS" && mv "$LIBS.partial" "$LIBS"
}

password_of() { cat "$SASL_DIR/$1.password"; }

# A random password per principal, drawn once (mode 0600, directory 0700).
ensure_credentials() {
  mkdir -p "$SASL_DIR" && chmod 700 "$SASL_DIR"
  local p
  for p in "${PRINCIPALS[@]}"; do
    [[ -s "$SASL_DIR/$p.password" ]] && continue
    (umask 077; openssl rand -hex 24 >"$SASL_DIR/$p.password")
  done
}

# A local CA and a broker certificate for 127.0.0.1/localhost (Kafka reads PEM directly).
ensure_tls() {
  [[ "$KAFKA_TLS_LISTENER" == 1 ]] || return 0
  [[ -s "$TLS_DIR/broker-keystore.pem" && -s "$TLS_DIR/ca.pem" ]] && return 0
  command -v openssl >/dev/null || { log "openssl is required for the TLS listener (or set KAFKA_TLS_LISTENER=0)"; exit 1; }
  log "making a local CA and broker certificate in $TLS_DIR"
  mkdir -p "$TLS_DIR" && chmod 700 "$TLS_DIR"
  (
    cd "$TLS_DIR" && umask 077
    openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 825 -keyout ca.key -out ca.pem -subj "/CN=Vigil local Kafka CA" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -sha256 -keyout broker.key -out broker.csr -subj "/CN=localhost" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' >broker.ext
    openssl x509 -req -in broker.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 825 -sha256 -extfile broker.ext -out broker.crt 2>/dev/null
    cat broker.key broker.crt >broker-keystore.pem
    rm -f broker.csr broker.ext ca.srl
    chmod 644 ca.pem
  )
}

write_config() {
  mkdir -p "$KAFKA_HOME" "$DATA"
  local broker_pw listeners advertised
  broker_pw="$(password_of vigil-broker)"
  listeners="SASL_PLAINTEXT://127.0.0.1:${KAFKA_PORT},CONTROLLER://127.0.0.1:${KAFKA_CONTROLLER_PORT}"
  advertised="SASL_PLAINTEXT://127.0.0.1:${KAFKA_PORT}"
  if [[ "$KAFKA_TLS_LISTENER" == 1 ]]; then
    listeners="$listeners,SASL_SSL://127.0.0.1:${KAFKA_TLS_PORT}"
    advertised="$advertised,SASL_SSL://127.0.0.1:${KAFKA_TLS_PORT}"
  fi
  # Holds the broker's own password: readable by its owner only.
  (umask 077; cat >"$KAFKA_HOME/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${KAFKA_CONTROLLER_PORT}
listeners=${listeners}
advertised.listeners=${advertised}
listener.security.protocol.map=SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL,CONTROLLER:SASL_PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=SASL_PLAINTEXT
# Clients: SCRAM-SHA-512 (credentials live in the metadata log, made by StorageTool --add-scram).
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="vigil-broker" password="${broker_pw}";
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="vigil-broker" password="${broker_pw}";
# The controller cannot use SCRAM (its credentials are in the log it serves): PLAIN, one user.
sasl.mechanism.controller.protocol=PLAIN
listener.name.controller.sasl.enabled.mechanisms=PLAIN
listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="vigil-broker" password="${broker_pw}" user_vigil-broker="${broker_pw}";
ssl.keystore.type=PEM
ssl.keystore.location=${TLS_DIR}/broker-keystore.pem
ssl.client.auth=none
# Deny by default; the admin and the broker itself are super users, services get ACLs.
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:vigil-broker;User:vigil-admin
log.dirs=${DATA}
num.partitions=3
default.replication.factor=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
delete.topic.enable=true
log.retention.hours=168
log.segment.bytes=67108864
PROPS
  )
  cat >"$KAFKA_HOME/log4j.properties" <<PROPS
log4j.rootLogger=WARN, file
log4j.appender.file=org.apache.log4j.RollingFileAppender
log4j.appender.file.File=${KAFKA_HOME}/server.log
log4j.appender.file.MaxFileSize=20MB
log4j.appender.file.MaxBackupIndex=2
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.server.KafkaServer=INFO
log4j.logger.kafka.server.BrokerServer=INFO
PROPS
}

running_pid() {
  [[ -f "$PIDFILE" ]] || return 1
  local pid; pid="$(cat "$PIDFILE")"
  kill -0 "$pid" 2>/dev/null && echo "$pid"
}

java_cmd() {
  # shellcheck disable=SC2086
  java $KAFKA_HEAP -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$KAFKA_HOME/log4j.properties" -cp "$LIBS/*" "$@"
}

# Data formatted before SASL (or with another set of principals) has no credentials for the
# principals above: such a broker would refuse every client, so it is formatted again.
needs_reformat() {
  [[ -f "$DATA/meta.properties" ]] || return 1
  [[ -f "$SECURED_MARK" && "$(cat "$SECURED_MARK")" == "${PRINCIPALS[*]}" ]] && return 1
  return 0
}

format_storage() {
  if needs_reformat; then
    log "local data in $DATA was formatted without SASL/SCRAM credentials (from before the secured broker): deleting it and formatting again"
    rm -rf "$DATA" && mkdir -p "$DATA"
  fi
  if [[ -f "$DATA/meta.properties" ]]; then return; fi
  local cluster_id p args=()
  cluster_id="$(java_cmd kafka.tools.StorageTool random-uuid | tail -1)"
  for p in "${PRINCIPALS[@]}"; do args+=(--add-scram "SCRAM-SHA-512=[name=$p,password=$(password_of "$p")]"); done
  log "formatting storage (cluster $cluster_id, SCRAM-SHA-512 users: ${PRINCIPALS[*]})"
  java_cmd kafka.tools.StorageTool format -t "$cluster_id" -c "$KAFKA_HOME/server.properties" "${args[@]}" >/dev/null
  echo "${PRINCIPALS[*]}" >"$SECURED_MARK"
  FRESH=1
}

# Readiness is a real produce + consume round trip through a consumer group (the group
# coordinator answers "loading" for a while after start), not an open port.
# It authenticates as the admin (KAFKA_USERNAME/KAFKA_PASSWORD[_FILE] when set, else the local
# vigil-admin credentials).
wait_ready() {
  [[ -d "$ROOT/node_modules/kafkajs" ]] || { log "node_modules missing: run npm ci first"; exit 1; }
  KAFKA_BROKERS="$KAFKA_BROKERS" KAFKA_READY_TIMEOUT="$KAFKA_READY_TIMEOUT" KAFKA_HOME="$KAFKA_HOME" KAFKA_SASL_DIR="$SASL_DIR" \
    node "$ROOT/deploy/local/kafka-ready.js"
}

provision() {
  (cd "$ROOT" && KAFKA_BROKERS="$KAFKA_BROKERS" KAFKA_HOME="$KAFKA_HOME" KAFKA_SASL_DIR="$SASL_DIR" \
    node -r ./tools/ts-register.js libs/kafka/src/provision.cli.ts "$@")
}

# A broker started before the secured configuration (no credentials mark) is restarted.
stale_running() {
  local pid; pid="$(running_pid)" || return 1
  if ! grep -q '^authorizer.class.name=' "$KAFKA_HOME/server.properties" 2>/dev/null || needs_reformat; then
    log "the running broker (pid $pid) predates SASL/ACLs: restarting it secured"
    stop
  fi
  return 1
}

start() {
  if external; then log "using external cluster $KAFKA_BROKERS"; wait_ready; return; fi
  stale_running || true
  if pid="$(running_pid)"; then log "already running (pid $pid)"; wait_ready; return; fi
  if (exec 3<>"/dev/tcp/127.0.0.1/$KAFKA_PORT") 2>/dev/null; then
    log "port $KAFKA_PORT is taken by another process; using it as the broker"; wait_ready; return
  fi
  fetch
  ensure_credentials
  ensure_tls
  write_config
  format_storage
  log "starting broker on $LOCAL_BROKERS (log: $LOGFILE)"
  # shellcheck disable=SC2086
  nohup java $KAFKA_HEAP -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$KAFKA_HOME/log4j.properties" -cp "$LIBS/*" \
    kafka.Kafka "$KAFKA_HOME/server.properties" >"$LOGFILE" 2>&1 &
  echo $! >"$PIDFILE"
  wait_ready
  # A freshly formatted broker is usable at once: topics and ACLs (test runs: also test.* for the
  # services). They live in its metadata log, so a restart needs none (infra.sh up re-applies them).
  if [[ $FRESH == 1 ]]; then
    if [[ "${NODE_ENV:-}" == test ]]; then provision --test-prefix test.; else provision; fi
  fi
}

stop() {
  if external; then log "external cluster: nothing to stop"; return; fi
  local pid
  if ! pid="$(running_pid)"; then log "not running"; rm -f "$PIDFILE"; return; fi
  log "stopping pid $pid"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  if kill -0 "$pid" 2>/dev/null; then log "still running after 30 s: SIGKILL"; kill -KILL "$pid" || true; fi
  pkill -f "kafka.Kafka $KAFKA_HOME/server.properties" 2>/dev/null || true
  rm -f "$PIDFILE"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  wait) wait_ready ;;
  status) KAFKA_READY_TIMEOUT=5 wait_ready ;;
  fetch) fetch ;;
  provision) shift; provision "$@" ;;
  reset)
    stop; rm -rf "$DATA" "$TLS_DIR"
    # a shared credentials directory belongs to its own broker
    [[ "$SASL_DIR" == "$KAFKA_HOME/sasl" ]] && rm -rf "$SASL_DIR" || true
    ;;
  *) echo "usage: $0 start|stop|status|wait|provision|fetch|reset" >&2; exit 2 ;;
esac
