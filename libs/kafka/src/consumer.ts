import type { Batch, Consumer, IHeaders, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from 'winston';
import { decodeEvent, dlqTopic, type DecodeResult, type EventEnvelope } from '@vigil/contracts';
import { runWithContext } from '@vigil/telemetry';
import { toDlqMessage, type DlqReason } from './dlq';
import { kafkaMetrics } from './metrics';
import type { EventProducer } from './producer';
import { extractContext, headerString, withConsumerSpan } from './trace-headers';

/** A decoded, validated event with where it came from. */
export interface ConsumedEvent {
  event: EventEnvelope;
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  headers: IHeaders;
  /** The record timestamp (ms since epoch). */
  timestamp: number;
}

export interface HandlerContext {
  /** Call inside long handlers so the group does not evict this member mid-batch. */
  heartbeat(): Promise<void>;
  topic: string;
  partition: number;
  /**
   * For handlers that keep state and make it durable now and then (not every chunk): only
   * offsets up to `offset` (inclusive; null = none of this chunk) may be committed, so after a
   * crash the group resumes where the durable state ends. By default the whole chunk is committed.
   */
  commitUpTo(offset: string | null): void;
}

/**
 * Handles a chunk of events from one partition, in offset order. Resolve only once the work is
 * durable (e.g. the DB transaction committed): offsets are committed right after, never before.
 * Must be idempotent: after a crash or rebalance, uncommitted events are delivered again.
 */
export type EventHandler = (events: ConsumedEvent[], ctx: HandlerContext) => Promise<void>;

export interface EventConsumerOptions {
  groupId: string;
  topics: string[];
  handler: EventHandler;
  /** Sends DLQ records; share the service's idempotent producer. */
  dlqProducer: EventProducer;
  logger: Logger;
  fromBeginning?: boolean;
  /** Events handed to the handler at once (1 = message at a time). Default 500. */
  maxChunk?: number;
  /** Attempts per chunk before isolating the failing message. Default 3. */
  attempts?: number;
  retryBackoffMs?: number;
  decode?: (value: Buffer | null) => DecodeResult;
  sessionTimeoutMs?: number;
  /**
   * Partitions handled at once (default 1). Order holds within a partition either way; more than
   * one lets one partition's database round trip overlap another's CPU work.
   */
  partitionsConsumedConcurrently?: number;
  /** Bytes fetched per partition per request (KafkaJS default 1 MiB); larger means fewer round trips. */
  maxBytesPerPartition?: number;
  /** Called with this member's partitions (topic -> partitions) each time the group (re)assigns them. */
  onAssignment?: (assignment: Record<string, number[]>) => void;
}

type Failure = { message: KafkaMessage; reason: DlqReason | string; detail: string; attempts: number };

/**
 * Consumes with manual commits: offsets advance only after the handler succeeded or the message was
 * safely written to `<topic>.dlq`. A poison message costs a bounded number of retries, then goes to
 * the DLQ with its reason, and the partition moves on.
 */
export class EventConsumer {
  private readonly consumer: Consumer;
  private readonly maxChunk: number;
  private readonly attempts: number;
  private readonly decode: (value: Buffer | null) => DecodeResult;
  private running = false;
  private crashed?: Error;

  constructor(kafka: Kafka, private readonly opts: EventConsumerOptions) {
    this.consumer = kafka.consumer({
      groupId: opts.groupId,
      sessionTimeout: opts.sessionTimeoutMs ?? 30000,
      heartbeatInterval: 3000,
      allowAutoTopicCreation: false,
      ...(opts.maxBytesPerPartition ? { maxBytesPerPartition: opts.maxBytesPerPartition, maxBytes: Math.max(10485760, opts.maxBytesPerPartition * 4) } : {}),
    });
    this.maxChunk = Math.max(1, opts.maxChunk ?? 500);
    this.attempts = Math.max(1, opts.attempts ?? 3);
    this.decode = opts.decode ?? decodeEvent;
    if (opts.onAssignment) {
      const notify = opts.onAssignment;
      this.consumer.on(this.consumer.events.GROUP_JOIN, (e) => notify(e.payload.memberAssignment));
    }
    this.consumer.on(this.consumer.events.CRASH, (e) => {
      this.crashed = e.payload.error;
      if (!e.payload.restart) this.running = false;
      opts.logger.error('kafka consumer crashed', { groupId: opts.groupId, err: e.payload.error, restart: e.payload.restart });
    });
  }

  /** True while the consumer is in its group and has not crashed without restart. */
  get isRunning(): boolean {
    return this.running;
  }

  get lastCrash(): Error | undefined {
    return this.crashed;
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    for (const topic of this.opts.topics) {
      await this.consumer.subscribe({ topic, fromBeginning: this.opts.fromBeginning ?? true });
    }
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.opts.partitionsConsumedConcurrently ?? 1,
      eachBatch: async (payload) => this.processBatch(payload.batch, payload),
    });
    this.running = true;
  }

  /** Stops fetching, lets the chunk in hand finish and commit, then leaves the group. */
  async stop(): Promise<void> {
    this.running = false;
    await this.consumer.stop().catch(() => undefined);
    await this.consumer.disconnect();
  }

  private async processBatch(
    batch: Batch,
    ctl: {
      heartbeat(): Promise<void>;
      isRunning(): boolean;
      isStale(): boolean;
      resolveOffset(offset: string): void;
      commitOffsetsIfNecessary(offsets?: { topics: { topic: string; partitions: { partition: number; offset: string }[] }[] }): Promise<void>;
    },
  ): Promise<void> {
    const { topic, partition } = batch;
    const metrics = kafkaMetrics();
    metrics.lag.record(Number(batch.offsetLag()), { topic, partition: String(partition), group: this.opts.groupId });
    for (let i = 0; i < batch.messages.length; i += this.maxChunk) {
      if (!ctl.isRunning() || ctl.isStale()) return; // uncommitted rest is redelivered
      const chunk = batch.messages.slice(i, i + this.maxChunk);
      const valid: ConsumedEvent[] = [];
      const failures: Failure[] = [];
      for (const message of chunk) {
        const decoded = this.decode(message.value);
        if (decoded.ok) valid.push(this.toConsumed(decoded.event, topic, partition, message));
        else failures.push({ message, reason: decoded.reason, detail: decoded.detail, attempts: 0 });
      }
      let durable: string | null | undefined;
      const handlerCtx: HandlerContext = { heartbeat: () => ctl.heartbeat(), topic, partition, commitUpTo: (o) => (durable = o) };
      if (valid.length) failures.push(...(await this.handleWithIsolation(valid, chunk, handlerCtx)));
      if (failures.length) await this.sendToDlq(topic, partition, failures);
      const last = chunk[chunk.length - 1].offset;
      ctl.resolveOffset(last);
      const commit = durable === undefined ? last : durable;
      if (commit !== null) {
        await ctl.commitOffsetsIfNecessary({
          topics: [{ topic, partitions: [{ partition, offset: (BigInt(commit) + 1n).toString() }] }],
        });
      }
      metrics.consumed.add(valid.length - failures.filter((f) => f.attempts > 0).length, { topic, outcome: 'handled' });
      await ctl.heartbeat();
    }
  }

  private toConsumed(event: EventEnvelope, topic: string, partition: number, m: KafkaMessage): ConsumedEvent {
    return {
      event,
      topic,
      partition,
      offset: m.offset,
      key: m.key ? m.key.toString() : null,
      headers: m.headers ?? {},
      timestamp: Number(m.timestamp),
    };
  }

  /** Runs the chunk; if it keeps failing, runs each event alone so only the culprits go to the DLQ. */
  private async handleWithIsolation(events: ConsumedEvent[], chunk: KafkaMessage[], ctx: HandlerContext): Promise<Failure[]> {
    const first = await this.attempt(events, ctx);
    if (first === undefined) return [];
    if (events.length === 1) return [this.failure(events[0], chunk, first)];
    this.opts.logger.warn('chunk failed; isolating the failing events', { topic: ctx.topic, partition: ctx.partition, size: events.length, err: first });
    const failures: Failure[] = [];
    for (const one of events) {
      const err = await this.attempt([one], ctx);
      if (err !== undefined) failures.push(this.failure(one, chunk, err));
    }
    return failures;
  }

  private failure(e: ConsumedEvent, chunk: KafkaMessage[], err: Error): Failure {
    const message = chunk.find((m) => m.offset === e.offset)!;
    return { message, reason: 'handler_failed', detail: `${err.name}: ${err.message}`, attempts: this.attempts };
  }

  /** Up to `attempts` tries with doubling backoff; returns the last error, or undefined on success. */
  private async attempt(events: ConsumedEvent[], ctx: HandlerContext): Promise<Error | undefined> {
    let backoff = this.opts.retryBackoffMs ?? 100;
    let lastError: Error | undefined;
    for (let n = 1; n <= this.attempts; n++) {
      const started = process.hrtime.bigint();
      try {
        await this.invoke(events, ctx);
        kafkaMetrics().handlerDuration.record(Number(process.hrtime.bigint() - started) / 1e9, { topic: ctx.topic });
        return undefined;
      } catch (err) {
        lastError = err instanceof Error ? err : new Error(String(err));
        if (n < this.attempts) {
          await new Promise((r) => setTimeout(r, backoff));
          backoff *= 2;
          await ctx.heartbeat().catch(() => undefined);
        }
      }
    }
    return lastError;
  }

  /** A single event runs inside its producer's trace; a chunk gets one span in the first event's trace. */
  private invoke(events: ConsumedEvent[], ctx: HandlerContext): Promise<void> {
    const first = events[0];
    const parent = extractContext(first.headers);
    const requestId = headerString(first.headers, 'request-id') ?? first.event.requestId ?? first.event.id;
    return runWithContext({ requestId, traceparent: first.event.traceparent }, () =>
      withConsumerSpan(`${ctx.topic} process`, parent, { 'messaging.system': 'kafka', 'messaging.batch.message_count': events.length, 'messaging.kafka.partition': ctx.partition }, () =>
        this.opts.handler(events, ctx),
      ),
    );
  }

  private async sendToDlq(topic: string, partition: number, failures: Failure[]): Promise<void> {
    const messages = failures.map((f) =>
      toDlqMessage(f.message, { topic, partition, groupId: this.opts.groupId, reason: f.reason, detail: f.detail, attempts: f.attempts }),
    );
    // If this throws, nothing is committed and the batch is redelivered: a DLQ outage loses nothing.
    await this.opts.dlqProducer.send(dlqTopic(topic), messages);
    for (const f of failures) {
      kafkaMetrics().dlq.add(1, { topic, reason: f.reason });
      this.opts.logger.warn('message sent to DLQ', { topic, partition, offset: f.message.offset, reason: f.reason, detail: f.detail });
    }
  }
}
