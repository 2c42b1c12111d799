import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { localKafkaPasswordFile } from '@vigil/config';
import { createKafka, type KafkaClient, type KafkaRecord } from '@vigil/kafka';
import { kafkaBrokers } from './env';
import { waitFor } from './wait';

/** A topic name no other test (or run) uses. */
export function uniqueTopic(prefix: string): string {
  return `test.${prefix}.${randomUUID().slice(0, 8)}`;
}

/** As the admin principal (KAFKA_USERNAME/KAFKA_PASSWORD[_FILE], locally vigil-admin): fixtures create topics and read anything. */
export function testKafka(clientId = 'vigil-test'): KafkaClient {
  return createKafka({ clientId, brokers: kafkaBrokers() }); // no logger: KafkaJS stays silent in tests
}

export async function createTopics(topics: string[], partitions = 1): Promise<void> {
  const admin = testKafka('vigil-test-admin').admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: topics.map((topic) => ({ topic, numPartitions: partitions })),
      waitForLeaders: false,
    });
    // Not KafkaJS's waitForLeaders: it gives up when the broker's metadata does not know a
    // just-created topic yet (UNKNOWN_TOPIC_OR_PARTITION), which a busy KRaft broker answers.
    await waitFor(
      async () => {
        const { topics: meta } = await admin.fetchTopicMetadata({ topics });
        return meta.every(
          (t) => t.partitions.length === partitions && t.partitions.every((p) => p.leader >= 0),
        );
      },
      { timeoutMs: 30000, what: `leaders of ${topics.join(', ')}` },
    );
  } finally {
    await admin.disconnect();
  }
}

export async function deleteTopics(topics: string[]): Promise<void> {
  const admin = testKafka('vigil-test-admin').admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics }).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
}

/** Reads a topic from the beginning with a throwaway group until `count` messages arrived. */
/** Reads `topic` from the beginning until a message satisfies `match` (shared topics hold other suites' messages too). */
export async function readUntil(
  topic: string,
  match: (m: KafkaRecord) => boolean,
  timeoutMs = 20000,
): Promise<KafkaRecord> {
  const consumer = testKafka('vigil-test-reader').consumer({ groupId: `test-reader-${randomUUID()}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    return await new Promise<KafkaRecord>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no matching message on ${topic} after ${timeoutMs} ms`)),
        timeoutMs,
      );
      void consumer.run({
        eachMessage: async ({ message }) => {
          if (!match(message)) return;
          clearTimeout(timer);
          resolve(message);
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
}

export async function readMessages(topic: string, count: number, timeoutMs = 20000): Promise<KafkaRecord[]> {
  const consumer = testKafka('vigil-test-reader').consumer({ groupId: `test-reader-${randomUUID()}` });
  const got: KafkaRecord[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`only ${got.length}/${count} messages on ${topic} after ${timeoutMs} ms`)),
        timeoutMs,
      );
      void consumer.run({
        eachMessage: async ({ message }) => {
          got.push(message);
          if (got.length >= count) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    return got;
  } finally {
    await consumer.disconnect();
  }
}

/** Committed offsets of a group on a topic, partition → next offset to read. */
export async function committedOffsets(groupId: string, topic: string): Promise<Record<number, string>> {
  const admin = testKafka('vigil-test-admin').admin();
  await admin.connect();
  try {
    const [res] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return Object.fromEntries(res.partitions.map((p) => [p.partition, p.offset]));
  } finally {
    await admin.disconnect();
  }
}

/** A client authenticated as one of the local broker's principals (deploy/local/kafka.sh), or with `password`. */
export function kafkaAs(
  principal: string,
  opts: { password?: string; brokers?: string[]; tls?: { ca?: string } } = {},
): KafkaClient {
  const password = opts.password ?? fs.readFileSync(localKafkaPasswordFile(principal), 'utf8').trim();
  return createKafka({
    clientId: `vigil-test-${principal}`,
    brokers: opts.brokers ?? kafkaBrokers(),
    retries: 0,
    security: { mechanism: 'scram-sha-512', username: principal, password, tls: opts.tls },
  });
}

/** The local broker's SASL_SSL listener (KAFKA_TLS_PORT, default KAFKA_PORT+2) and the CA kafka.sh made. */
export function kafkaTlsEndpoint(): { brokers: string[]; caFile: string } {
  const port = Number(process.env.KAFKA_TLS_PORT ?? Number(process.env.KAFKA_PORT ?? 9092) + 2);
  const home = process.env.KAFKA_HOME ?? path.join(process.cwd(), '.cache/kafka');
  return { brokers: [`127.0.0.1:${port}`], caFile: path.join(home, 'tls', 'ca.pem') };
}
