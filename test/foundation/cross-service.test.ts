// An event published by one service's producer arrives at another service's consumer, through the
// real broker, with its trace context; the consumer commits only after its handler.
import { EventProducer } from '@vigil/kafka';
import { ConsumerRegistry } from '@vigil/runtime';
import { Topics, dlqTopic, type EventEnvelope } from '@vigil/contracts';
import { SAMPLE_EVENTS } from '@vigil/contracts/testing';
import { committedOffsets, createTopics, deleteTopics, uniqueTopic, waitFor } from '@vigil/testing';
import type { ConsumedEvent } from '@vigil/kafka';
import { startApp, type TestApp } from '../support/apps';

describe('auth-gateway producer → audit-writer consumer', () => {
  const topic = uniqueTopic('cross');
  const groupId = `vigil-audit-writer-${topic}`;
  const received: ConsumedEvent[] = [];
  let gateway: TestApp;
  let writer: TestApp;

  beforeAll(async () => {
    await createTopics([topic, dlqTopic(topic)], 3);
    gateway = await startApp('auth-gateway');
    writer = await startApp(
      'audit-writer',
      {},
      {
        beforeInit: (app) =>
          app.get(ConsumerRegistry).add({
            name: 'cross-test',
            groupId,
            topics: [topic],
            handler: async (events) => void received.push(...events),
          }),
      },
    );
  });
  afterAll(async () => {
    await Promise.all([gateway?.close(), writer?.close()]);
    await deleteTopics([topic, dlqTopic(topic)]);
  });

  it('delivers every event type once, intact, with the producer trace id', async () => {
    const producer = gateway.app.get(EventProducer);
    await waitFor(() => producer.isConnected, { what: 'gateway producer connected' });
    const events = Object.values(SAMPLE_EVENTS) as EventEnvelope[];
    await producer.publish(topic, events);
    await waitFor(() => received.length >= events.length, {
      timeoutMs: 30000,
      what: `${events.length} events at the writer`,
    });
    expect(received.map((r) => r.event.id).sort()).toEqual(events.map((e) => e.id).sort());
    for (const r of received) {
      const sent = events.find((e) => e.id === r.event.id)!;
      expect(r.event).toEqual(sent);
      expect(r.headers.traceparent?.toString()).toBe(sent.traceparent ?? r.headers.traceparent?.toString());
    }
    const offsets = await waitFor(
      async () => {
        const o = await committedOffsets(groupId, topic);
        const total = Object.values(o).reduce((n, v) => n + Math.max(0, Number(v)), 0);
        return total === events.length ? o : undefined;
      },
      { what: 'offsets committed for every event' },
    );
    expect(Object.keys(offsets)).toHaveLength(3);
  });

  it('names every topic from libs/contracts', () => {
    expect(Object.values(Topics)).toEqual(
      expect.arrayContaining([
        'auth.events.v1',
        'ops.events.v1',
        'security.alerts.v1',
        'security.actions.v1',
        'audit.checkpoints.v1',
      ]),
    );
  });
});
