#!/usr/bin/env bash
# Runs a real single-node Apache Kafka 3.9 broker (KRaft: broker + controller in one JVM) from
# Apache Kafka's jars on Maven Central. No Docker needed: Java 17 and Maven are enough.
#
#   deploy/local/kafka.sh start    fetch jars if missing, format storage once, start, wait until ready
#   deploy/local/kafka.sh stop     stop the broker started here (SIGTERM, then SIGKILL after 30 s)
#   deploy/local/kafka.sh status   exit 0 when a produce/consume round trip works
#   deploy/local/kafka.sh wait     wait (up to KAFKA_READY_TIMEOUT s) for a round trip
#   deploy/local/kafka.sh reset    stop and delete the local broker's data
#
# With KAFKA_BROKERS set to anything but the local default, start/stop leave that cluster alone
# and only wait for it to answer.
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

write_config() {
  mkdir -p "$KAFKA_HOME" "$DATA"
  cat >"$KAFKA_HOME/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${KAFKA_CONTROLLER_PORT}
listeners=PLAINTEXT://127.0.0.1:${KAFKA_PORT},CONTROLLER://127.0.0.1:${KAFKA_CONTROLLER_PORT}
advertised.listeners=PLAINTEXT://127.0.0.1:${KAFKA_PORT}
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
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

format_storage() {
  if [[ -f "$DATA/meta.properties" ]]; then return; fi
  local cluster_id; cluster_id="$(java_cmd kafka.tools.StorageTool random-uuid | tail -1)"
  log "formatting storage (cluster $cluster_id)"
  java_cmd kafka.tools.StorageTool format -t "$cluster_id" -c "$KAFKA_HOME/server.properties" >/dev/null
}

# Readiness is a real produce + consume round trip through a consumer group (the group
# coordinator answers "loading" for a while after start), not an open port.
wait_ready() {
  [[ -d "$ROOT/node_modules/kafkajs" ]] || { log "node_modules missing: run npm ci first"; exit 1; }
  KAFKA_BROKERS="$KAFKA_BROKERS" KAFKA_READY_TIMEOUT="$KAFKA_READY_TIMEOUT" \
    node "$ROOT/deploy/local/kafka-ready.js"
}

start() {
  if external; then log "using external cluster $KAFKA_BROKERS"; wait_ready; return; fi
  if pid="$(running_pid)"; then log "already running (pid $pid)"; wait_ready; return; fi
  if (exec 3<>"/dev/tcp/127.0.0.1/$KAFKA_PORT") 2>/dev/null; then
    log "port $KAFKA_PORT is taken by another process; using it as the broker"; wait_ready; return
  fi
  fetch
  write_config
  format_storage
  log "starting broker on $LOCAL_BROKERS (log: $LOGFILE)"
  # shellcheck disable=SC2086
  nohup java $KAFKA_HEAP -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$KAFKA_HOME/log4j.properties" -cp "$LIBS/*" \
    kafka.Kafka "$KAFKA_HOME/server.properties" >"$LOGFILE" 2>&1 &
  echo $! >"$PIDFILE"
  wait_ready
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
  reset) stop; rm -rf "$DATA" ;;
  *) echo "usage: $0 start|stop|status|wait|fetch|reset" >&2; exit 2 ;;
esac
