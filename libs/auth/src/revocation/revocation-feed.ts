import { randomUUID } from 'node:crypto';
import type { Logger } from 'winston';
import { decodeEvent, type AnyEvent } from '@vigil/contracts';
import type { KafkaClient } from '@vigil/kafka';
import type { RevocationDenyList } from './deny-list';

type Consumer = ReturnType<KafkaClient['consumer']>;

export interface RevocationFeedOptions {
  /** The gateway's auth events topic (auth.events.v1). */
  topic: string;
  /** Names this instance's throwaway group: `<service>.revocation.<uuid>` (the service's group id). */
  service: string;
  logger: Logger;
  /** How often entries past their lifetime are dropped. Default 30 s. */
  sweepIntervalMs?: number;
}

export interface RevocationFeedStatus {
  /** Has read, at least once, everything published up to its start: only then can it judge tokens. */
  caughtUp: boolean;
  /** Consuming now (false while the broker is away or the feed restarts). */
  live: boolean;
  /** Events behind the newest known high watermarks, over all partitions. */
  lag: number;
  entries: number;
  detail: string;
}

/**
 * Feeds the deny-list from the gateway's auth events. Every instance must see every partition, so
 * each instance has its own consumer group (`<service>.revocation.<uuid>`), made at start and
 * deleted at stop; it never commits. At start it rebuilds rather than resumes: it seeks to the
 * first record at `now - window` (window = max token TTL + skew), which holds every
 * revocation that can still concern a live token. Nothing to persist, nothing forgotten across a
 * restart, as long as the topic keeps at least that window (its retention is days).
 *
 * Until it has read up to the high watermarks taken at its start it is not caught up, and the
 * revocation check refuses to judge (503). After that, losing the broker leaves it judging with what
 * it knows (not live: health says degraded): the gateway's revocations wait in its outbox meanwhile.
 */
export class RevocationFeed {
  private consumer?: Consumer;
  private groupId?: string;
  private caughtUp = false;
  /** In the group (set at join, cleared on crash or disconnect). */
  private joined = false;
  private lastFetchAt = 0;
  private stopping = false;
  private loop?: Promise<void>;
  private sweeper?: NodeJS.Timeout;
  private lastError?: string;
  /** partition → offset that must be passed to count as caught up (the high watermark at start). */
  private pending = new Map<number, bigint>();
  /** partition → events behind the last batch's high watermark. */
  private readonly lags = new Map<number, number>();
  private readonly waiters = new Set<() => void>();
  /** Cuts a retry backoff short when stopping. */
  private wakeSleep?: () => void;

  constructor(
    private readonly kafka: KafkaClient,
    private readonly denyList: RevocationDenyList,
    private readonly opts: RevocationFeedOptions,
  ) {}

  /** In the group and the broker answered a fetch lately (fetches return at least every second). */
  private get live(): boolean {
    return this.joined && Date.now() - this.lastFetchAt < 15_000;
  }

  status(): RevocationFeedStatus {
    const lag = [...this.lags.values()].reduce((a, b) => a + b, 0);
    const entries = this.denyList.size;
    const detail = !this.caughtUp
      ? `catching up on ${this.opts.topic}${this.lastError ? ` (${this.lastError})` : ''}`
      : this.live
        ? `live on ${this.opts.topic}, ${entries} entries, lag ${lag}`
        : `not consuming ${this.opts.topic} (${this.lastError ?? 'restarting'}); judging with ${entries} entries`;
    return { caughtUp: this.caughtUp, live: this.live, lag, entries, detail };
  }

  /** Resolves true once caught up, or false after `timeoutMs` (requests arriving during start wait a little). */
  whenCaughtUp(timeoutMs: number): Promise<boolean> {
    if (this.caughtUp) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve(this.caughtUp);
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiters.add(done);
    });
  }

  /** Starts in the background (a broker outage at start must not block the service). */
  start(): void {
    this.stopping = false;
    this.sweeper = setInterval(() => this.denyList.sweep(), this.opts.sweepIntervalMs ?? 30_000);
    this.sweeper.unref();
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.sweeper) clearInterval(this.sweeper);
    this.wakeSleep?.();
    // Let a start in progress finish (or give up) first, so no consumer is left behind.
    await this.loop?.catch(() => undefined);
    await this.teardown();
  }

  private async run(): Promise<void> {
    let backoff = 200;
    while (!this.stopping) {
      try {
        await this.join();
        return;
      } catch (err) {
        this.lastError = err instanceof Error ? err.message : String(err);
        this.opts.logger.warn('revocation feed could not start yet; retrying', {
          topic: this.opts.topic,
          err,
          backoffMs: backoff,
        });
        await this.teardown();
        await new Promise<void>((r) => {
          const timer = setTimeout(r, backoff);
          this.wakeSleep = () => (clearTimeout(timer), r());
        });
        backoff = Math.min(backoff * 2, 5_000);
      }
    }
  }

  private async join(): Promise<void> {
    const { topic } = this.opts;
    // Few retries inside KafkaJS (a missing topic would hold it ~30 s): this loop retries instead.
    const admin = this.kafka.admin({ retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 } });
    await admin.connect();
    const groupId = `${this.opts.service}.revocation.${randomUUID()}`;
    let starts: Array<{ partition: number; offset: string }>;
    try {
      const highs = await admin.fetchTopicOffsets(topic);
      starts = await admin.fetchTopicOffsetsByTimestamp(topic, Date.now() - this.denyList.windowMs);
      const startOf = new Map(starts.map((s) => [s.partition, BigInt(s.offset)]));
      this.pending = new Map(
        highs
          .filter((h) => BigInt(h.high) > (startOf.get(h.partition) ?? 0n))
          .map((h) => [h.partition, BigInt(h.high)]),
      );
      this.groupId = groupId;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    // Nothing in the window: nothing revoked that a live token could carry. Caught up already; what is
    // published from now on is read once the group is joined (a fraction of a second).
    if (this.pending.size === 0) this.markCaughtUp(true);
    const consumer = this.kafka.consumer({
      groupId,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 1000,
      sessionTimeout: 30_000,
      heartbeatInterval: 3000,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      this.joined = true;
      this.lastFetchAt = Date.now();
      this.markCaughtUp();
    });
    consumer.on(consumer.events.FETCH, () => (this.lastFetchAt = Date.now()));
    consumer.on(consumer.events.CRASH, (e) => {
      this.joined = false;
      this.lastError = e.payload.error?.message;
      if (!e.payload.restart && !this.stopping) {
        this.opts.logger.error('revocation feed crashed; rebuilding', { topic, err: e.payload.error });
        void this.teardown().then(() => {
          if (!this.stopping) this.loop = this.run();
        });
      }
    });
    consumer.on(consumer.events.DISCONNECT, () => (this.joined = false));
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, heartbeat }) => {
        for (const message of batch.messages) this.applyRecord(message.value);
        const last = batch.messages.length ? BigInt(batch.lastOffset()) : undefined;
        this.lags.set(batch.partition, Number(batch.offsetLag()));
        const target = this.pending.get(batch.partition);
        if (
          target !== undefined &&
          ((last !== undefined && last + 1n >= target) || batch.offsetLag() === '0')
        )
          this.pending.delete(batch.partition);
        this.markCaughtUp();
        await heartbeat();
      },
    });
    // Start at the window (applied before the partition's next fetch; anything read before it from
    // the beginning is older than the window and changes nothing).
    for (const s of starts) consumer.seek({ topic, partition: s.partition, offset: s.offset });
    this.lastError = undefined;
    this.opts.logger.info('revocation feed started', {
      topic,
      groupId,
      windowMs: this.denyList.windowMs,
      partitionsToCatchUp: this.pending.size,
    });
  }

  private applyRecord(value: Buffer | null): void {
    const decoded = decodeEvent(value);
    // The audit-writer dead-letters malformed records; here they are simply not revocations.
    if (decoded.ok) this.denyList.apply(decoded.event as AnyEvent);
  }

  private markCaughtUp(beforeJoin = false): void {
    if (this.caughtUp || this.pending.size > 0 || (!this.joined && !beforeJoin)) return;
    this.caughtUp = true;
    for (const wake of [...this.waiters]) wake();
    this.opts.logger.info('revocation feed caught up', {
      topic: this.opts.topic,
      entries: this.denyList.size,
    });
  }

  private async teardown(): Promise<void> {
    const consumer = this.consumer;
    const groupId = this.groupId;
    this.consumer = undefined;
    this.groupId = undefined;
    this.joined = false;
    if (consumer) await consumer.disconnect().catch(() => undefined);
    if (!groupId) return;
    // Never committed beyond its start, so nothing to lose: leave no trace of the group.
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      await admin.deleteGroups([groupId]);
    } catch {
      // The broker is away: the group's offsets expire on their own (offsets.retention.minutes).
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}
