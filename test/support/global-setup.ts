/**
 * Integration tier: the real Kafka broker and PostgreSQL must already be up (test/run-tests.sh
 * runs deploy/local/infra.sh first). Fail fast with a clear message when they are not.
 */
import path from 'node:path';
import { Client } from 'pg';
import { testDatabaseUrl, kafkaBrokers } from '../../libs/testing/src/env';
import { Kafka, logLevel, type SASLOptions } from 'kafkajs';
import { kafkaSecurityFromEnv } from '../../libs/config/src/service-config';

export default async function globalSetup(): Promise<void> {
  // Brokers a suite starts itself (deploy/local/kafka.sh with another KAFKA_HOME) share the main
  // broker's credentials, so fixtures and apps under test authenticate to any of them.
  process.env.KAFKA_SASL_DIR ??= path.join(
    process.env.KAFKA_HOME ?? path.resolve(__dirname, '../../.cache/kafka'),
    'sasl',
  );
  const pg = new Client({ connectionString: testDatabaseUrl(), connectionTimeoutMillis: 5000 });
  try {
    await pg.connect();
    await pg.query('SELECT 1');
  } catch (err) {
    throw new Error(
      `PostgreSQL not reachable at ${testDatabaseUrl().replace(/:[^:@/]+@/, ':***@')}: ${(err as Error).message}. Run: bash deploy/local/infra.sh up`,
    );
  } finally {
    await pg.end().catch(() => undefined);
  }
  // As the admin principal (the fixtures' identity; the apps under test use their own).
  const security = kafkaSecurityFromEnv();
  if (security.mechanism !== 'none' && security.password === undefined) {
    throw new Error(
      'no Kafka password for the test fixtures (vigil-admin): run bash deploy/local/infra.sh up, or set KAFKA_PASSWORD[_FILE]',
    );
  }
  const sasl =
    security.mechanism === 'none'
      ? undefined
      : ({
          mechanism: security.mechanism,
          username: security.username,
          password: security.password,
        } as SASLOptions);
  const admin = new Kafka({
    clientId: 'vigil-test-setup',
    brokers: kafkaBrokers(),
    sasl,
    ssl: security.tls,
    logLevel: logLevel.NOTHING,
    retry: { retries: 2 },
  }).admin();
  try {
    await admin.connect();
    await admin.describeCluster();
  } catch (err) {
    throw new Error(
      `Kafka not reachable at ${kafkaBrokers().join(',')}: ${(err as Error).message}. Run: bash deploy/local/infra.sh up`,
    );
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
