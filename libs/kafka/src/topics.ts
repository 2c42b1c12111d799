import type { Kafka } from 'kafkajs';
import { dlqTopic } from '@vigil/contracts';

export interface TopicSpec {
  topic: string;
  partitions?: number;
  replicationFactor?: number;
  /** Also create `<topic>.dlq` with the same partitioning. Default true. */
  withDlq?: boolean;
  config?: Record<string, string>;
}

/** Creates the topics (and their DLQs) that do not exist yet; existing ones are left as they are. */
export async function ensureTopics(kafka: Kafka, specs: TopicSpec[], defaults: { partitions: number; replicationFactor: number }): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const wanted = specs.flatMap((s) => {
      const base = {
        numPartitions: s.partitions ?? defaults.partitions,
        replicationFactor: s.replicationFactor ?? defaults.replicationFactor,
        configEntries: Object.entries(s.config ?? {}).map(([name, value]) => ({ name, value })),
      };
      const out = [{ topic: s.topic, ...base }];
      if (s.withDlq !== false) out.push({ topic: dlqTopic(s.topic), ...base, configEntries: [] });
      return out;
    });
    const missing = wanted.filter((t) => !existing.has(t.topic));
    if (missing.length) {
      await admin.createTopics({ topics: missing, waitForLeaders: true }).catch((err: unknown) => {
        // Another instance may have created them between list and create.
        if (!(err instanceof Error && /already exists/i.test(err.message))) throw err;
      });
    }
    return missing.map((t) => t.topic);
  } finally {
    await admin.disconnect();
  }
}

/** How many partitions a topic has (it must exist). */
export async function partitionCount(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    return meta.topics[0].partitions.length;
  } finally {
    await admin.disconnect();
  }
}
