import { randomUUID } from 'node:crypto';
import { createKafka, type Kafka, type KafkaMessage } from '@vigil/kafka';
import { kafkaBrokers } from './env';

/** A topic name no other test (or run) uses. */
export function uniqueTopic(prefix: string): string {
  return `test.${prefix}.${randomUUID().slice(0, 8)}`;
}

export function testKafka(clientId = 'vigil-test'): Kafka {
  return createKafka({ clientId, brokers: kafkaBrokers() }); // no logger: KafkaJS stays silent in tests
}

export async function createTopics(topics: string[], partitions = 1): Promise<void> {
  const admin = testKafka('vigil-test-admin').admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: topics.map((topic) => ({ topic, numPartitions: partitions })), waitForLeaders: true });
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
export async function readMessages(topic: string, count: number, timeoutMs = 20000): Promise<KafkaMessage[]> {
  const consumer = testKafka('vigil-test-reader').consumer({ groupId: `test-reader-${randomUUID()}` });
  const got: KafkaMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${got.length}/${count} messages on ${topic} after ${timeoutMs} ms`)), timeoutMs);
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
