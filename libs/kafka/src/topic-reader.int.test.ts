/**
 * readTopic and ensureTopics' topic config against the real broker (nothing mocked).
 */
import winston from 'winston';
import { createEvent, type EventEnvelope } from '@vigil/contracts';
import { createTopics, deleteTopics, kafkaBrokers, uniqueTopic, waitFor } from '@vigil/testing';
import { createKafka } from './client';
import { EventProducer } from './producer';
import { readTopic } from './topic-reader';
import { ensureTopics } from './topics';

const kafka = createKafka({ brokers: kafkaBrokers(), clientId: 'vigil-topic-reader-int' });

function event(i: number): EventEnvelope {
  return createEvent('DEPLOYMENT', {
    producer: `deployer-${i % 5}`,
    outcome: 'success',
    attributes: { service: 'audit-writer', version: `1.0.${i}` },
  }) as EventEnvelope;
}

describe('readTopic (real broker)', () => {
  const topics: string[] = [];
  let producer: EventProducer;

  beforeAll(async () => {
    producer = new EventProducer(kafka, { logger: winston.createLogger({ silent: true }) });
    await producer.connect();
  });
  afterAll(async () => {
    await producer.disconnect();
    await deleteTopics(topics);
  });

  async function topicWith(n: number, partitions = 3): Promise<string> {
    const topic = uniqueTopic('reader');
    topics.push(topic);
    await createTopics([topic], partitions);
    if (n)
      await producer.publish(
        topic,
        Array.from({ length: n }, (_, i) => event(i)),
      );
    return topic;
  }

  it('reads every partition from the beginning up to the high watermarks taken at start, not past them', async () => {
    const topic = await topicWith(60);
    const seen: string[] = [];
    let producedDuring = false;
    const progress: boolean[] = [];
    const r = await readTopic(
      kafka,
      topic,
      async ({ message }) => {
        seen.push(message.value!.toString());
        if (!producedDuring) {
          producedDuring = true;
          await producer.publish(
            topic,
            Array.from({ length: 9 }, (_, i) => event(100 + i)),
          ); // after the start: not read
        }
      },
      { onProgress: (p) => progress.push(p.caughtUp) },
    );
    expect(r.read).toBe(60);
    expect(seen).toHaveLength(60);
    expect(Object.values(r.highWatermarks).reduce((n, h) => n + Number(h), 0)).toBe(60);
    expect(progress[progress.length - 1]).toBe(true);
    // A second read starts from the beginning again: nothing was committed.
    expect((await readTopic(kafka, topic, () => undefined)).read).toBe(69);
  });

  it('returns at once on an empty topic', async () => {
    const topic = await topicWith(0);
    expect(await readTopic(kafka, topic, () => undefined)).toEqual({
      read: 0,
      highWatermarks: { 0: '0', 1: '0', 2: '0' },
    });
  });

  it('follows new records until aborted', async () => {
    const topic = await topicWith(4, 1);
    const abort = new AbortController();
    let read = 0;
    let caughtUp = false;
    const following = readTopic(kafka, topic, () => void read++, {
      follow: true,
      signal: abort.signal,
      onProgress: (p) => (caughtUp ||= p.caughtUp),
    });
    await waitFor(() => caughtUp && read === 4, { what: 'caught up' });
    await producer.publish(topic, [event(7), event(8)]);
    await waitFor(() => read === 6, { what: 'records published while following' });
    abort.abort();
    expect((await following).read).toBe(6);
  });
});

describe('ensureTopics config (real broker)', () => {
  it('creates a topic with its config, and brings an existing topic to the declared config', async () => {
    const created = uniqueTopic('compacted');
    const existing = uniqueTopic('compacted-existing');
    await createTopics([existing], 1);
    const config = { 'cleanup.policy': 'compact', 'min.compaction.lag.ms': String(7 * 86400000) };
    const made = await ensureTopics(
      kafka,
      [
        { topic: created, withDlq: false, config },
        { topic: existing, withDlq: false, config },
      ],
      { partitions: 1, replicationFactor: 1 },
    );
    expect(made).toEqual([created]);
    const admin = kafka.admin();
    await admin.connect();
    try {
      const { resources } = await admin.describeConfigs({
        resources: [created, existing].map((name) => ({ type: 2, name })),
        includeSynonyms: false,
      });
      for (const r of resources) {
        const got = Object.fromEntries(r.configEntries.map((e) => [e.configName, e.configValue]));
        expect(got).toMatchObject(config);
      }
    } finally {
      await admin.disconnect();
      await deleteTopics([created, existing]);
    }
  });
});
