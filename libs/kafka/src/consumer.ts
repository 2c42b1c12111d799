import { createHash } from 'node:crypto';
import type { Batch, Consumer, IHeaders, Kafka, KafkaMessage, Message } from 'kafkajs';
import type { Logger } from 'winston';
import { decodeEvent, dlqTopic, type DecodeResult, type EventEnvelope } from '@vigil/contracts';
import { runWithContext } from '@vigil/telemetry';
import { toDlqMessage, type DlqReason } from './dlq';
import { ReplayGate } from './dlq-replay';
import { classifyFailure, PermanentError } from './failure-class';
import { kafkaMetrics, registerConsumerGroup } from './metrics';
import { PartitionWaits, type WaitingPartition } from './partition-waits';
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
  /** Republished from a DLQ for this consumer's group (dlq-replay.ts): handlers that count may deduplicate. */
  replayed?: true;
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

export type { WaitingPartition };

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
  /** Attempts per chunk before isolating the failing message (permanent failures only). Default 3. */
  attempts?: number;
  /** First backoff after a failure; it doubles per retry. Default 100 ms. */
  retryBackoffMs?: number;
  /** Ceiling of the backoff while a dependency is down (transient failures are retried without limit). Default 5 s. */
  maxRetryBackoffMs?: number;
  /**
   * Checks a decoded event before the handler sees it: a returned reason sends it to the DLQ (for
   * events that are well-formed but that this consumer must refuse, e.g. implausible times).
   */
  screen?: (event: ConsumedEvent) => { reason: string; detail: string } | undefined;
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

/** The consumer is stopping or lost the partition while waiting: leave the rest uncommitted. */
class Abandoned extends Error {}

type BatchControl = {
  heartbeat(): Promise<void>;
  isRunning(): boolean;
  isStale(): boolean;
  resolveOffset(offset: string): void;
  commitOffsetsIfNecessary(offsets?: {
    topics: { topic: string; partitions: { partition: number; offset: string }[] }[];
  }): Promise<void>;
};

const REBALANCE = new Set([
  'REBALANCE_IN_PROGRESS',
  'UNKNOWN_MEMBER_ID',
  'ILLEGAL_GENERATION',
  'NOT_COORDINATOR_FOR_GROUP',
]);

/**
 * Consumes with manual commits: offsets advance only after the handler succeeded or the message was
 * safely written to `<topic>.dlq`. Failures are classified (failure-class.ts): a poison message
 * costs a bounded number of retries, then goes to the DLQ with its reason, and the partition moves
 * on; a dependency that is down (transient) holds the partition, retrying with capped exponential
 * backoff for as long as it takes, and nothing past it is committed or sent to a DLQ.
 */
export class EventConsumer {
  private readonly consumer: Consumer;
  private readonly maxChunk: number;
  private readonly attempts: number;
  private readonly decode: (value: Buffer | null) => DecodeResult;
  private running = false;
  /** Between start() and stop(): a crash KafkaJS does not restart from is rejoined by us. */
  private wanted = false;
  private rejoining = false;
  private crashed?: Error;
  private readonly waits: PartitionWaits;
  private readonly replays: ReplayGate;
  private lastFetchAt = 0;

  constructor(
    kafka: Kafka,
    private readonly opts: EventConsumerOptions,
  ) {
    this.waits = new PartitionWaits(opts.groupId, opts.logger);
    this.replays = new ReplayGate(opts.groupId);
    registerConsumerGroup(opts.groupId, opts.topics);
    this.consumer = kafka.consumer({
      groupId: opts.groupId,
      sessionTimeout: opts.sessionTimeoutMs ?? 30000,
      heartbeatInterval: 3000,
      allowAutoTopicCreation: false,
      ...(opts.maxBytesPerPartition
        ? {
            maxBytesPerPartition: opts.maxBytesPerPartition,
            maxBytes: Math.max(10485760, opts.maxBytesPerPartition * 4),
          }
        : {}),
    });
    this.maxChunk = Math.max(1, opts.maxChunk ?? 500);
    this.attempts = Math.max(1, opts.attempts ?? 3);
    this.decode = opts.decode ?? decodeEvent;
    if (opts.onAssignment) {
      const notify = opts.onAssignment;
      this.consumer.on(this.consumer.events.GROUP_JOIN, (e) => notify(e.payload.memberAssignment));
    }
    this.consumer.on(this.consumer.events.FETCH, () => (this.lastFetchAt = Date.now()));
    this.consumer.on(this.consumer.events.CRASH, (e) => {
      this.crashed = e.payload.error;
      opts.logger.error('kafka consumer crashed', {
        groupId: opts.groupId,
        err: e.payload.error,
        restart: e.payload.restart,
      });
      // KafkaJS gives up on errors it deems non-retriable, e.g. a connection refused after its
      // retries while the broker is away for longer. The broker coming back is not our caller's
      // business: rejoin with backoff until it works, unless we are stopping.
      if (!e.payload.restart && this.wanted) {
        this.running = false;
        void this.rejoin();
      }
    });
  }

  private async rejoin(): Promise<void> {
    if (this.rejoining) return;
    this.rejoining = true;
    let backoff = 1000;
    try {
      while (this.wanted) {
        await new Promise((r) => setTimeout(r, backoff));
        if (!this.wanted) return;
        try {
          await this.consumer.disconnect().catch(() => undefined);
          await this.join();
          this.opts.logger.info('kafka consumer rejoined its group', { groupId: this.opts.groupId });
          return;
        } catch (err) {
          kafkaMetrics().retries.add(1, { topic: this.opts.topics.join(','), group: this.opts.groupId });
          this.opts.logger.warn('kafka consumer could not rejoin yet; retrying', {
            groupId: this.opts.groupId,
            err,
            backoffMs: backoff,
          });
          backoff = Math.min(backoff * 2, 30000);
        }
      }
    } finally {
      this.rejoining = false;
    }
  }

  /** True while the consumer is in its group and has not crashed without restart. */
  get isRunning(): boolean {
    return this.running;
  }

  get lastCrash(): Error | undefined {
    return this.crashed;
  }

  /**
   * Whether silence on a partition means the input is really quiet: the broker answered a fetch
   * within `withinMs` and the partition is not held back waiting for a dependency. A consumer that
   * cannot fetch (broker away) or cannot hand events on (database away) is blind, not idle.
   */
  inputQuiet(topic: string, partition: number, withinMs: number): boolean {
    return this.running && Date.now() - this.lastFetchAt < withinMs && !this.waits.has(topic, partition);
  }

  /** Partitions held back by a dependency that is down (empty when all is well): health says degraded. */
  get waitingPartitions(): WaitingPartition[] {
    return this.waits.list();
  }

  async start(): Promise<void> {
    this.wanted = true;
    await this.join();
  }

  private async join(): Promise<void> {
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
    this.wanted = false;
    this.running = false;
    await this.consumer.stop().catch(() => undefined);
    await this.consumer.disconnect();
  }

  private async processBatch(batch: Batch, ctl: BatchControl): Promise<void> {
    try {
      await this.processChunks(batch, ctl);
    } catch (err) {
      if (!(err instanceof Abandoned)) throw err;
      this.opts.logger.info('partition released while waiting; the uncommitted rest is redelivered', {
        topic: batch.topic,
        partition: batch.partition,
      });
    } finally {
      this.waits.clear(batch.topic, batch.partition, false);
    }
  }

  private async processChunks(batch: Batch, ctl: BatchControl): Promise<void> {
    const { topic, partition } = batch;
    const metrics = kafkaMetrics();
    metrics.lag.record(Number(batch.offsetLag()), {
      topic,
      partition: String(partition),
      group: this.opts.groupId,
    });
    for (let i = 0; i < batch.messages.length; i += this.maxChunk) {
      if (!ctl.isRunning() || ctl.isStale()) return; // uncommitted rest is redelivered
      const chunk = batch.messages.slice(i, i + this.maxChunk);
      const valid: ConsumedEvent[] = [];
      const failures: Failure[] = [];
      for (const message of chunk) {
        const replay = this.replays.admit(message);
        if (replay === 'skip') continue;
        const decoded = this.decode(message.value);
        if (!decoded.ok) {
          failures.push({ message, reason: decoded.reason, detail: decoded.detail, attempts: 0 });
          continue;
        }
        const consumed = this.toConsumed(decoded.event, topic, partition, message);
        if (replay === 'replay') consumed.replayed = true;
        const refused = this.opts.screen?.(consumed);
        if (refused) failures.push({ message, reason: refused.reason, detail: refused.detail, attempts: 0 });
        else valid.push(consumed);
      }
      let durable: string | null | undefined;
      const handlerCtx: HandlerContext = {
        heartbeat: () => ctl.heartbeat(),
        topic,
        partition,
        commitUpTo: (o) => (durable = o),
      };
      if (valid.length) failures.push(...(await this.handleWithIsolation(valid, chunk, handlerCtx, ctl)));
      if (failures.length)
        await this.untilDone(topic, partition, ctl, () => this.sendToDlq(topic, partition, failures));
      const last = chunk[chunk.length - 1].offset;
      ctl.resolveOffset(last);
      const commit = durable === undefined ? last : durable;
      if (commit !== null) {
        await ctl.commitOffsetsIfNecessary({
          topics: [{ topic, partitions: [{ partition, offset: (BigInt(commit) + 1n).toString() }] }],
        });
      }
      metrics.consumed.add(valid.length - failures.filter((f) => f.attempts > 0).length, {
        topic,
        outcome: 'handled',
      });
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
  private async handleWithIsolation(
    events: ConsumedEvent[],
    chunk: KafkaMessage[],
    ctx: HandlerContext,
    ctl: BatchControl,
  ): Promise<Failure[]> {
    const first = await this.attempt(events, ctx, ctl);
    if (first === undefined) return [];
    if (events.length === 1) return [this.failure(events[0], chunk, first)];
    this.opts.logger.warn('chunk failed; isolating the failing events', {
      topic: ctx.topic,
      partition: ctx.partition,
      size: events.length,
      err: first,
    });
    const failures: Failure[] = [];
    for (const one of events) {
      const err = await this.attempt([one], ctx, ctl);
      if (err !== undefined) failures.push(this.failure(one, chunk, err));
    }
    return failures;
  }

  private failure(e: ConsumedEvent, chunk: KafkaMessage[], err: Error): Failure {
    const message = chunk.find((m) => m.offset === e.offset)!;
    const reason = err instanceof PermanentError ? err.reason : 'handler_failed';
    return { message, reason, detail: `${err.name}: ${err.message}`, attempts: this.attempts };
  }

  /**
   * Runs the handler until it succeeds. A permanent failure is tried `attempts` times (a
   * PermanentError once) and returned; a transient one is retried without limit (see untilDone).
   */
  private async attempt(
    events: ConsumedEvent[],
    ctx: HandlerContext,
    ctl: BatchControl,
  ): Promise<Error | undefined> {
    let backoff = this.opts.retryBackoffMs ?? 100;
    let permanentTries = 0;
    for (;;) {
      try {
        // Timed per call, so the time spent waiting out an outage is not counted as handler time.
        await this.untilDone(ctx.topic, ctx.partition, ctl, async () => {
          const started = process.hrtime.bigint();
          await this.invoke(events, ctx);
          kafkaMetrics().handlerDuration.record(Number(process.hrtime.bigint() - started) / 1e9, {
            topic: ctx.topic,
          });
        });
        return undefined;
      } catch (err) {
        if (err instanceof Abandoned) throw err;
        const error = err instanceof Error ? err : new Error(String(err));
        if (error instanceof PermanentError || ++permanentTries >= this.attempts) return error;
        await new Promise((r) => setTimeout(r, backoff));
        backoff *= 2;
        await ctx.heartbeat().catch(() => undefined);
      }
    }
  }

  /**
   * Runs `work`, and while it fails transiently waits (capped exponential backoff with jitter) and
   * runs it again, heartbeating so the group keeps the partition. Permanent failures are rethrown.
   * Throws Abandoned if the consumer stops or the partition is taken away meanwhile.
   */
  private async untilDone<T>(
    topic: string,
    partition: number,
    ctl: BatchControl,
    work: () => Promise<T>,
  ): Promise<T> {
    let backoff = this.opts.retryBackoffMs ?? 100;
    const cap = this.opts.maxRetryBackoffMs ?? 5000;
    for (;;) {
      try {
        const result = await work();
        this.waits.clear(topic, partition);
        return result;
      } catch (err) {
        if (classifyFailure(err) !== 'transient') throw err;
        this.waits.note(topic, partition, err);
        const wait = Math.min(cap, backoff) * (0.8 + Math.random() * 0.4);
        backoff = Math.min(cap, backoff * 2);
        await this.pause(wait, ctl);
      }
    }
  }

  /** Sleeps in short slices so a stop or a lost partition is noticed promptly; heartbeats between. */
  private async pause(ms: number, ctl: BatchControl): Promise<void> {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      if (!ctl.isRunning() || ctl.isStale()) throw new Abandoned();
      await new Promise((r) => setTimeout(r, Math.min(250, until - Date.now())));
    }
    try {
      await ctl.heartbeat();
    } catch (err) {
      // The group moved on without us: the partition may be someone else's now.
      const type = (err as { type?: string }).type;
      if (type && REBALANCE.has(type)) throw new Abandoned();
      // The broker itself is away: keep waiting; the session outlives short outages.
    }
    if (!ctl.isRunning() || ctl.isStale()) throw new Abandoned();
  }

  /** A single event runs inside its producer's trace; a chunk gets one span in the first event's trace. */
  private invoke(events: ConsumedEvent[], ctx: HandlerContext): Promise<void> {
    const first = events[0];
    const parent = extractContext(first.headers);
    const requestId = headerString(first.headers, 'request-id') ?? first.event.requestId ?? first.event.id;
    return runWithContext({ requestId, traceparent: first.event.traceparent }, () =>
      withConsumerSpan(
        `${ctx.topic} process`,
        parent,
        {
          'messaging.system': 'kafka',
          'messaging.batch.message_count': events.length,
          'messaging.kafka.partition': ctx.partition,
        },
        () => this.opts.handler(events, ctx),
      ),
    );
  }

  /**
   * Sends DLQ records; one the broker refuses even alone (a record near the size limit, grown past
   * it by the dlq-* headers: MESSAGE_TOO_LARGE) goes without its value, with its size and SHA-256
   * in headers instead: the original stays at its offset in the source topic. Without this the
   * refusal repeated on every redelivery and the partition never moved again.
   */
  private async sendDlqRecords(topic: string, messages: Message[]): Promise<void> {
    try {
      await this.opts.dlqProducer.send(topic, messages);
      return;
    } catch (err) {
      if (classifyFailure(err) !== 'permanent') throw err;
    }
    for (const m of messages) {
      try {
        await this.opts.dlqProducer.send(topic, [m]);
      } catch (err) {
        if (classifyFailure(err) !== 'permanent') throw err;
        await this.opts.dlqProducer.send(topic, [withoutValue(m)]);
      }
    }
  }

  private async sendToDlq(topic: string, partition: number, failures: Failure[]): Promise<void> {
    const messages = failures.map((f) =>
      toDlqMessage(f.message, {
        topic,
        partition,
        groupId: this.opts.groupId,
        reason: f.reason,
        detail: f.detail,
        attempts: f.attempts,
      }),
    );
    // If this throws, nothing is committed and the batch is redelivered: a DLQ outage loses nothing.
    await this.sendDlqRecords(dlqTopic(topic), messages);
    for (const f of failures) {
      kafkaMetrics().dlq.add(1, { topic, reason: f.reason });
      this.opts.logger.warn('message sent to DLQ', {
        topic,
        partition,
        offset: f.message.offset,
        reason: f.reason,
        detail: f.detail,
      });
    }
  }
}

/** A DLQ record with its value left out, saying so (size and SHA-256 of the value, for finding the original). */
export function withoutValue(m: Message): Message {
  const value = m.value === null || m.value === undefined ? Buffer.alloc(0) : Buffer.from(m.value);
  return {
    ...m,
    value: null,
    headers: {
      ...m.headers,
      'dlq-value-omitted': 'too_large',
      'dlq-value-bytes': String(value.length),
      'dlq-value-sha256': createHash('sha256').update(value).digest('hex'),
    },
  };
}
