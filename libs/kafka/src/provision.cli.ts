/**
 * npm run kafka:provision: the bus's topics, their DLQs and configs, and each service principal's
 * ACLs (libs/kafka/src/bus-plan.ts), made as the admin principal against KAFKA_BROKERS.
 * Credentials: KAFKA_SASL_MECHANISM, KAFKA_USERNAME, KAFKA_PASSWORD[_FILE], KAFKA_TLS* (locally
 * the defaults are vigil-admin and the password deploy/local/kafka.sh made).
 *
 *   --test-prefix <p>   test runs only: services may also use topics named <p>* and any group
 */
import { ConfigError, env, kafkaSecurityFromEnv, loadConfig } from '@vigil/config';
import { createKafka } from './client';
import { provisionBus } from './provision';

const schema = {
  kafkaBrokers: env.hostPorts('KAFKA_BROKERS', { default: ['127.0.0.1:9092'] }),
  partitions: env.int('KAFKA_TOPIC_PARTITIONS', { default: 3, min: 1, max: 1000 }),
  replicationFactor: env.int('KAFKA_REPLICATION_FACTOR', { default: 1, min: 1, max: 7 }),
  gateway: env.string('KAFKA_PRINCIPAL_GATEWAY', { optional: true }),
  writer: env.string('KAFKA_PRINCIPAL_WRITER', { optional: true }),
  monitor: env.string('KAFKA_PRINCIPAL_MONITOR', { optional: true }),
  retention: env.string('KAFKA_PRINCIPAL_RETENTION', { optional: true }),
  /** A SIEM connector's principal: read-only on the alerts topics (OCSF, ECS, Vigil JSON). */
  siem: env.string('KAFKA_PRINCIPAL_SIEM', { optional: true }),
};

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const at = args.indexOf('--test-prefix');
  const testTopicPrefix = at >= 0 ? args[at + 1] : undefined;
  if (at >= 0 && !testTopicPrefix) throw new ConfigError(['--test-prefix needs a value']);
  const c = loadConfig(schema, process.env);
  const security = kafkaSecurityFromEnv();
  const kafka = createKafka({ brokers: c.kafkaBrokers, clientId: 'vigil-provision', retries: 3, security });
  const principals = Object.fromEntries(
    Object.entries({
      gateway: c.gateway,
      writer: c.writer,
      monitor: c.monitor,
      retention: c.retention,
    }).filter(([, v]) => v),
  );
  const r = await provisionBus(kafka, {
    partitions: c.partitions,
    replicationFactor: c.replicationFactor,
    principals,
    testTopicPrefix,
    ...(c.siem ? { siemPrincipal: c.siem } : {}),
  });
  console.error(
    `[kafka] provisioned as ${security.username ?? 'anonymous'}: ${r.topicsCreated.length} topic(s) created, ${r.aclsCreated} ACL(s) added, ${r.aclsRemoved} removed${testTopicPrefix ? ` (test prefix ${testTopicPrefix})` : ''}`,
  );
}

main().catch((err: unknown) => {
  console.error(`[kafka] provisioning failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(err instanceof ConfigError ? 2 : 1);
});
