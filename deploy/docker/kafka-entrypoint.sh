#!/usr/bin/env bash
# Compose's Kafka: single-node KRaft, configured like deploy/local/kafka.sh. SASL_PLAINTEXT with
# SCRAM-SHA-512 for clients (INTERNAL kafka:19092 for containers, EXTERNAL 127.0.0.1:9092 for the
# host), PLAIN on the controller listener, StandardAuthorizer with no ACL = deny, super users
# vigil-broker and vigil-admin. SCRAM users are created when the volume is first formatted, from
# the passwords kafka-credentials drew into /secrets/<principal>/password.
set -euo pipefail
SECRETS=/secrets
DATA=/var/lib/kafka/data
CONF=/tmp/server.properties
PRINCIPALS=(vigil-broker vigil-admin vigil-gateway vigil-audit vigil-monitor vigil-retention)
pw() { cat "$SECRETS/$1/password"; }
BROKER_PW="$(pw vigil-broker)"

umask 077
cat >"$CONF" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@kafka:9093
listeners=INTERNAL://0.0.0.0:19092,EXTERNAL://0.0.0.0:9092,CONTROLLER://0.0.0.0:9093
advertised.listeners=INTERNAL://kafka:19092,EXTERNAL://127.0.0.1:9092
listener.security.protocol.map=INTERNAL:SASL_PLAINTEXT,EXTERNAL:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=INTERNAL
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.internal.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="vigil-broker" password="${BROKER_PW}";
listener.name.external.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="vigil-broker" password="${BROKER_PW}";
sasl.mechanism.controller.protocol=PLAIN
listener.name.controller.sasl.enabled.mechanisms=PLAIN
listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="vigil-broker" password="${BROKER_PW}" user_vigil-broker="${BROKER_PW}";
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

# For the healthcheck (kafka-broker-api-versions.sh --command-config): the admin's client settings.
cat >/tmp/admin.properties <<PROPS
security.protocol=SASL_PLAINTEXT
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="vigil-admin" password="$(pw vigil-admin)";
PROPS

if [[ ! -f "$DATA/meta.properties" ]]; then
  args=()
  for p in "${PRINCIPALS[@]}"; do args+=(--add-scram "SCRAM-SHA-512=[name=$p,password=$(pw "$p")]"); done
  echo "[kafka] formatting $DATA with SCRAM-SHA-512 users: ${PRINCIPALS[*]}" >&2
  /opt/kafka/bin/kafka-storage.sh format -t "${CLUSTER_ID:?}" -c "$CONF" "${args[@]}" >/dev/null
fi
exec /opt/kafka/bin/kafka-server-start.sh "$CONF"
