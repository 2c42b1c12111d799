/**
 * libs/kafka against the real broker (integration tier: Kafka real, nothing mocked).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import path from 'node:path';
import winston from 'winston';
import { createEvent, dlqTopic, type EventEnvelope } from '@vigil/contracts';
import {
  committedOffsets,
  createTopics,
  deleteTopics,
  kafkaBrokers,
  readMessages,
  uniqueTopic,
  waitFor,
} from '@vigil/testing';
import { createKafka } from './client';
import { EventConsumer, type ConsumedEvent, type EventConsumerOptions } from './consumer';
import { replayDlq } from './dlq-replay';
import { PermanentError } from './failure-class';
import { EventProducer } from './producer';

const logger = winston.createLogger({ silent: true });
const kafka = createKafka({ brokers: kafkaBrokers(), clientId: 'vigil-kafka-int' });
const root = path.resolve(__dirname, '../../..');

function login(username: string): EventEnvelope {
  return createEvent('FAILED_AUTH_LOGIN', {
    producer: 'auth-gateway',
    subject: { username },
    source: { ip: '198.51.100.20' },
    outcome: 'failure',
    reason: 'invalid_credentials',
    attributes: { attemptCount: 1, repeated: false },
  }) as EventEnvelope;
}

describe('EventProducer → EventConsumer (real broker)', () => {
  const topics: string[] = [];
  let producer: EventProducer;
  const consumers: EventConsumer[] = [];

  beforeAll(async () => {
    producer = new EventProducer(kafka, { logger });
    await producer.connect();
  });
  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((c) => c.stop().catch(() => undefined)));
  });
  afterAll(async () => {
    await producer.disconnect();
    await deleteTopics(topics);
  });

  async function topicPair(name: string): Promise<string> {
    const topic = uniqueTopic(name);
    topics.push(topic, dlqTopic(topic));
    await createTopics([topic, dlqTopic(topic)]);
    return topic;
  }

  function consume(
    topic: string,
    groupId: string,
    handler: (events: ConsumedEvent[]) => Promise<void>,
    maxChunk = 100,
    extra: Partial<EventConsumerOptions> = {},
  ): EventConsumer {
    const c = new EventConsumer(kafka, {
      groupId,
      topics: [topic],
      handler,
      dlqProducer: producer,
      logger,
      maxChunk,
      retryBackoffMs: 20,
      ...extra,
    });
    consumers.push(c);
    return c;
  }

  /** Consumes the topic in its own group until the event `id` has been handled. */
  async function consumeUntilSeen(
    topic: string,
    id: string,
    what: string,
    timeoutMs?: number,
  ): Promise<void> {
    const seen: string[] = [];
    await consume(
      topic,
      `g-${topic}`,
      async (events) => void seen.push(...events.map((e) => e.event.id)),
    ).start();
    await waitFor(() => seen.includes(id), { what, ...(timeoutMs ? { timeoutMs } : {}) });
  }

  it('delivers an event with key, event-time timestamp and W3C trace context headers', async () => {
    const topic = await topicPair('roundtrip');
    const event = login('Alice@Example.com');
    await producer.publish(topic, [event]);
    const [msg] = await readMessages(topic, 1);
    expect(msg.key?.toString()).toBe('alice@example.com');
    expect(Number(msg.timestamp)).toBe(Date.parse(event.occurredAt));
    expect(msg.headers?.['event-id']?.toString()).toBe(event.id);
    expect(msg.headers?.traceparent?.toString()).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
  });

  it('sends a malformed message to <topic>.dlq with its reason, and still processes the next good one', async () => {
    const topic = await topicPair('poison');
    const good = login('bob');
    await producer.send(topic, [
      { key: 'x', value: Buffer.from('{"id": not json'), headers: { origin: 'test' } },
    ]);
    await producer.send(topic, [
      { key: 'y', value: Buffer.from(JSON.stringify({ ...good, password: 'P@ss-marker-dlq' })) },
    ]);
    await producer.publish(topic, [good]);

    await consumeUntilSeen(topic, good.id, 'the good event after the poison ones');

    const dlq = await readMessages(dlqTopic(topic), 2);
    const reasons = dlq.map((m) => m.headers?.['dlq-reason']?.toString()).sort();
    expect(reasons).toEqual(['invalid_json', 'schema_violation']);
    const json = dlq.find((m) => m.headers?.['dlq-reason']?.toString() === 'invalid_json')!;
    expect(json.value?.toString()).toBe('{"id": not json'); // original bytes, untouched
    expect(json.headers?.origin?.toString()).toBe('test'); // original headers kept
    expect(json.headers?.['dlq-original-topic']?.toString()).toBe(topic);
    expect(json.headers?.['dlq-original-offset']?.toString()).toBe('0');
    const schema = dlq.find((m) => m.headers?.['dlq-reason']?.toString() === 'schema_violation')!;
    expect(schema.headers?.['dlq-detail']?.toString()).toContain('password');
    expect(schema.headers?.['dlq-detail']?.toString()).not.toContain('P@ss-marker-dlq');
    await waitFor(async () => (await committedOffsets(`g-${topic}`, topic))[0] === '3', {
      what: 'offsets committed past all three',
    });
  });

  it('hostile corpus (issue 18 item 3): two 600 KiB poison records in one chunk, and one refused by the broker once the DLQ headers are added, all reach the DLQ; the next good one is processed', async () => {
    const topic = await topicPair('poison-large');
    const good = login('after-large');
    // Sent one per request, as a producer would; together they are more than one request may carry.
    for (const key of ['big-1', 'big-2'])
      await producer.send(topic, [{ key, value: Buffer.from(`{"pad":"${'p'.repeat(600 * 1024)}"`) }]);
    // Just under the broker's 1 MiB limit: the DLQ copy, with its dlq-* headers, is over it.
    const huge = Buffer.from(`{"pad":"${'q'.repeat(1_048_400 - 9)}"`);
    await producer.send(topic, [{ key: 'huge', value: huge }]);
    await producer.publish(topic, [good]);

    await consumeUntilSeen(topic, good.id, 'the good event after the large poison', 30000);
    const dlq = await readMessages(dlqTopic(topic), 3, 30000);
    const byKey = new Map(dlq.map((m) => [m.key?.toString(), m]));
    for (const key of ['big-1', 'big-2']) {
      expect(byKey.get(key)?.headers?.['dlq-reason']?.toString()).toBe('schema_violation');
      expect(byKey.get(key)?.value?.length).toBe(600 * 1024 + 9);
    }
    const omitted = byKey.get('huge')!;
    expect(omitted.headers?.['dlq-reason']?.toString()).toBe('schema_violation');
    expect(omitted.value).toBeNull();
    expect(omitted.headers?.['dlq-value-omitted']?.toString()).toBe('too_large');
    expect(omitted.headers?.['dlq-value-bytes']?.toString()).toBe(String(huge.length));
    expect(omitted.headers?.['dlq-value-sha256']?.toString()).toBe(
      createHash('sha256').update(huge).digest('hex'),
    );
    await waitFor(async () => (await committedOffsets(`g-${topic}`, topic))[0] === '4', {
      what: 'offsets committed past all four',
    });
  });

  it('retries a failing handler a bounded number of times, isolates the culprit into the DLQ and goes on', async () => {
    const topic = await topicPair('handler-fail');
    const [a, bad, c] = [login('a'), login('poison-user'), login('c')];
    await producer.publish(topic, [a, bad, c]);
    let attemptsOnBad = 0;
    const handled = new Set<string>();
    await consume(topic, `g-${topic}`, async (events) => {
      if (events.some((e) => e.event.id === bad.id)) {
        attemptsOnBad++;
        throw new Error('constraint violated');
      }
      events.forEach((e) => handled.add(e.event.id));
    }).start();
    await waitFor(() => handled.has(a.id) && handled.has(c.id), { what: 'the good events' });
    const [dead] = await readMessages(dlqTopic(topic), 1);
    expect(dead.headers?.['dlq-reason']?.toString()).toBe('handler_failed');
    expect(dead.headers?.['dlq-detail']?.toString()).toContain('constraint violated');
    expect(dead.headers?.['event-id']?.toString()).toBe(bad.id);
    expect(attemptsOnBad).toBe(6); // 3 as part of the chunk, then 3 alone
    expect(handled.has(bad.id)).toBe(false);
  });

  it('redelivers to a restarted consumer what a killed one had not committed', async () => {
    const topic = await topicPair('redeliver');
    const groupId = `g-${topic}`;
    const event = login('carol');
    await producer.publish(topic, [event]);

    // A separate process receives the event and is SIGKILLed inside its handler, before any commit.
    const child = spawn(
      process.execPath,
      ['-r', './tools/ts-register.js', 'libs/testing/src/crash-consumer.ts', topic, groupId],
      {
        cwd: root,
        env: { ...process.env, KAFKA_BROKERS: kafkaBrokers().join(',') },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exit = await new Promise<NodeJS.Signals | number | null>((resolve) =>
      child.on('exit', (code, signal) => resolve(signal ?? code)),
    );
    expect(exit).toBe('SIGKILL');
    expect(out).toContain(`handling ${event.id}`);
    expect(await committedOffsets(groupId, topic)).toEqual({ 0: '-1' });

    const again: string[] = [];
    await consume(
      topic,
      groupId,
      async (events) => void again.push(...events.map((e) => e.event.id)),
    ).start();
    await waitFor(() => again.includes(event.id), { timeoutMs: 45000, what: 'redelivery after the crash' });
    await waitFor(async () => (await committedOffsets(groupId, topic))[0] === '1', {
      what: 'commit after the redelivered event',
    });
  });

  it('holds the partition while a dependency is down: retries without limit, nothing to the DLQ, nothing committed past it', async () => {
    const topic = await topicPair('transient');
    const groupId = `g-${topic}`;
    const events = Array.from({ length: 50 }, (_, i) => login(`user-${i}`));
    await producer.publish(topic, events);
    let down = true;
    let calls = 0;
    const handled = new Set<string>();
    const c = consume(
      topic,
      groupId,
      async (batch) => {
        calls++;
        if (down)
          throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
        batch.forEach((e) => handled.add(e.event.id));
      },
      10,
      { maxRetryBackoffMs: 200 },
    );
    await c.start();
    // Far more tries than the 3 a poison message gets, and the partition is reported as waiting.
    await waitFor(() => calls > 10 && c.waitingPartitions.length === 1, {
      what: 'retrying while the dependency is down',
    });
    expect(c.waitingPartitions[0]).toMatchObject({
      topic,
      partition: 0,
      error: expect.stringContaining('ECONNREFUSED'),
    });
    expect(await committedOffsets(groupId, topic)).toEqual({ 0: '-1' });
    down = false;
    await waitFor(() => handled.size === 50, { what: 'every event once the dependency is back' });
    await waitFor(async () => (await committedOffsets(groupId, topic))[0] === '50', {
      what: 'commit after recovery',
    });
    expect(c.waitingPartitions).toEqual([]);
    expect(await readMessages(dlqTopic(topic), 1, 1500).catch(() => [])).toEqual([]);
  });

  it('screens well-formed events a consumer must refuse into the DLQ with the reason given', async () => {
    const topic = await topicPair('screen');
    const [ok, refused] = [login('ok'), login('future')];
    await producer.publish(topic, [refused, ok]);
    const handled: string[] = [];
    await consume(
      topic,
      `g-${topic}`,
      async (batch) => void handled.push(...batch.map((e) => e.event.id)),
      100,
      {
        screen: (e) =>
          e.event.id === refused.id ? { reason: 'implausible_time', detail: 'too far ahead' } : undefined,
      },
    ).start();
    await waitFor(() => handled.includes(ok.id), { what: 'the accepted event' });
    const [dead] = await readMessages(dlqTopic(topic), 1);
    expect(dead.headers?.['dlq-reason']?.toString()).toBe('implausible_time');
    expect(handled).not.toContain(refused.id);
  });

  it('a DLQ replay reaches the group that failed the record once, and other groups not at all (run twice)', async () => {
    const topic = await topicPair('replay');
    const failing = `g-fail-${topic}`;
    const other = `g-other-${topic}`;
    const poison = login('fixed-later');
    await producer.publish(topic, [poison]);
    let fixed = false;
    const byFailing: string[] = [];
    const byOther: string[] = [];
    await consume(topic, failing, async (batch) => {
      if (!fixed) throw new PermanentError('handler_failed', 'not handled by this release');
      byFailing.push(...batch.map((e) => e.event.id));
    }).start();
    await consume(topic, other, async (batch) => void byOther.push(...batch.map((e) => e.event.id))).start();
    await readMessages(dlqTopic(topic), 1);
    await waitFor(() => byOther.length === 1, { what: 'the other group handled the original' });

    fixed = true; // a new release handles it
    for (let run = 0; run < 2; run++) {
      const r = await replayDlq(kafka, producer, { dlq: dlqTopic(topic) });
      expect(r).toMatchObject({ read: 1, total: 1, replayed: 1, byTopic: { [topic]: 1 } });
    }
    await waitFor(
      async () =>
        (await committedOffsets(failing, topic))[0] === '3' &&
        (await committedOffsets(other, topic))[0] === '3',
      {
        what: 'both groups past the two replays',
      },
    );
    expect(byFailing).toEqual([poison.id]);
    expect(byOther).toEqual([poison.id]);
    const dry = await replayDlq(kafka, undefined, {
      dlq: dlqTopic(topic),
      dryRun: true,
      reasons: ['schema_violation'],
    });
    expect(dry).toMatchObject({ read: 1, replayed: 0, filtered: 1 });
  });
});
