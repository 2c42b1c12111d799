import { randomBytes } from 'node:crypto';
import type { Kafka, Message, Producer, RecordMetadata } from 'kafkajs';
import { CompressionTypes, Partitioners } from 'kafkajs';
import type { Logger } from 'winston';
import { encodeEvent, eventKey, type EventEnvelope } from '@vigil/contracts';
import { injectContext } from './trace-headers';
import { kafkaMetrics } from './metrics';

export interface EventProducerOptions {
  /** Idempotent (acks=all, one request in flight, broker-side dedup of retries). Default true. */
  idempotent?: boolean;
  logger?: Logger;
  compression?: CompressionTypes;
}

/** Headers every Vigil message carries, so consumers and SIEM connectors can route without parsing. */
export function eventHeaders(event: EventEnvelope): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'event-id': event.id,
    'event-type': event.type,
    'schema-version': String(event.schemaVersion),
    producer: event.producer,
  };
  if (event.traceparent) headers.traceparent = event.traceparent;
  else injectContext(headers);
  // No active trace (or no propagator installed): start one here, so every message is traceable.
  if (headers.traceparent === undefined) {
    const id = randomBytes(24).toString('hex'); // one call for trace id (16 bytes) and span id (8)
    headers.traceparent = `00-${id.slice(0, 32)}-${id.slice(32)}-01`;
  }
  return headers;
}

/** The Kafka record for an event: key per DESIGN.md, record timestamp = occurredAt (event time). */
export function toMessage(event: EventEnvelope): Message {
  return {
    key: eventKey(event),
    value: encodeEvent(event),
    timestamp: String(Date.parse(event.occurredAt)),
    headers: eventHeaders(event),
  };
}

/** Records per produce request: ~1,000 events of ~400 bytes stays well under message.max.bytes (1 MiB). */
const MAX_PER_REQUEST = 1000;

export class EventProducer {
  private readonly producer: Producer;
  private connected = false;

  constructor(
    kafka: Kafka,
    private readonly opts: EventProducerOptions = {},
  ) {
    const idempotent = opts.idempotent ?? true;
    this.producer = kafka.producer({
      idempotent,
      maxInFlightRequests: idempotent ? 1 : undefined,
      allowAutoTopicCreation: false,
      // Java-compatible murmur2 partitioning (KafkaJS 2's default), named so it is a choice, not a warning.
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 5000 },
    });
    this.producer.on('producer.disconnect', () => (this.connected = false));
  }

  get isConnected(): boolean {
    return this.connected;
  }

  async connect(): Promise<void> {
    await this.producer.connect();
    this.connected = true;
  }

  async disconnect(): Promise<void> {
    await this.producer.disconnect();
    this.connected = false;
  }

  /** Publishes events to one topic; resolves once every record is acknowledged by all in-sync replicas. */
  async publish(topic: string, events: EventEnvelope[]): Promise<RecordMetadata[]> {
    if (events.length === 0) return [];
    return this.send(topic, events.map(toMessage));
  }

  /**
   * Sends prepared records (the DLQ and the outbox relay use this), in requests of at most
   * MAX_PER_REQUEST records and MAX_REQUEST_BYTES, so a large batch stays under the broker's size
   * limit (a chunk holding two 600 KiB records was refused whole, MESSAGE_TOO_LARGE, and the DLQ
   * send behind it retried forever). On a
   * failure some earlier requests may have landed: callers resend, and consumers deduplicate.
   */
  async send(topic: string, messages: Message[]): Promise<RecordMetadata[]> {
    try {
      const result: RecordMetadata[] = [];
      for (const chunk of requestsOf(messages)) {
        result.push(
          ...(await this.producer.send({
            topic,
            messages: chunk,
            acks: -1,
            compression: this.opts.compression ?? CompressionTypes.None,
          })),
        );
        kafkaMetrics().produced.add(chunk.length, { topic });
      }
      return result;
    } catch (err) {
      kafkaMetrics().produceErrors.add(1, { topic });
      throw err;
    }
  }
}

/** What one produce request may carry: under the broker's default message.max.bytes (1 MiB). */
export const MAX_REQUEST_BYTES = 768 * 1024;

function sizeOf(m: Message): number {
  let n = 64 + (m.key?.length ?? 0) + (m.value?.length ?? 0);
  for (const [k, v] of Object.entries(m.headers ?? {}))
    n += k.length + (v === undefined ? 0 : String(v).length);
  return n;
}

/** `messages` in order, split so each request holds at most MAX_PER_REQUEST records and MAX_REQUEST_BYTES (a larger record goes alone). */
export function requestsOf(messages: Message[]): Message[][] {
  const out: Message[][] = [];
  let current: Message[] = [];
  let bytes = 0;
  for (const m of messages) {
    const size = sizeOf(m);
    if (current.length && (current.length >= MAX_PER_REQUEST || bytes + size > MAX_REQUEST_BYTES)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(m);
    bytes += size;
  }
  if (current.length) out.push(current);
  return out;
}
