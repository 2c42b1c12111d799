import { testKafka, waitFor } from '@vigil/testing';

/** The consume ceiling printed beside a result: KafkaJS reading `count` records of `topic` from the start, doing nothing (records/s). */
export async function rawConsumeRate(topic: string, count: number): Promise<number> {
  const consumer = testKafka('bench-raw').consumer({ groupId: `bench-raw-${topic}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let n = 0;
  let first = 0;
  let last = 0;
  await consumer.run({
    eachBatchAutoResolve: true,
    eachBatch: async ({ batch }) => {
      if (!first) first = Date.now();
      n += batch.messages.length;
      last = Date.now();
    },
  });
  await waitFor(() => n >= count, { timeoutMs: 180_000, intervalMs: 50, what: `${count} records read` });
  await consumer.disconnect();
  return count / ((last - first) / 1000);
}
