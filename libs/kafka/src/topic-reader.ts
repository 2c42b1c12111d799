import { randomUUID } from 'node:crypto';
import type { Kafka, KafkaMessage } from 'kafkajs';

export interface TopicRecord {
  partition: number;
  message: KafkaMessage;
}

export interface ReadTopicProgress {
  /** Records delivered so far. */
  read: number;
  /** Offsets between the low and high watermarks taken at start (an upper bound once compacted). */
  total: number;
  caughtUp: boolean;
}

export interface ReadTopicOptions {
  /** After catching up with the start's high watermarks, keep reading until `signal` aborts. */
  follow?: boolean;
  signal?: AbortSignal;
  onProgress?: (p: ReadTopicProgress) => void;
  /** Fail when not caught up by then (default 120 s; not applied once following). */
  timeoutMs?: number;
}

export interface ReadTopicResult {
  read: number;
  /** partition → high watermark taken at start. */
  highWatermarks: Record<number, string>;
}

/** Tries of the watermark request, 250 ms apart, while the broker says to retry. */
const WATERMARK_TRIES = 20;

/**
 * The topic's low and high watermarks. A retriable refusal (NOT_LEADER_OR_FOLLOWER while a new
 * topic's leaders are still being elected, a leader moving) is asked again; KafkaJS's admin does
 * not retry a list-offsets answer with a partition-level error.
 */
async function watermarks(
  admin: ReturnType<Kafka['admin']>,
  topic: string,
): ReturnType<ReturnType<Kafka['admin']>['fetchTopicOffsets']> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await admin.fetchTopicOffsets(topic);
    } catch (err) {
      if (!(err as { retriable?: boolean }).retriable || attempt >= WATERMARK_TRIES) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/**
 * Reads a topic from its beginning up to the high watermarks taken at start (and on, with
 * `follow`), for readers that must see everything rather than resume: the audit verifier and a
 * witness copy. No offsets are committed: KafkaJS cannot consume without a group, so it joins a
 * throwaway group that never commits and deletes it afterwards.
 */
export async function readTopic(
  kafka: Kafka,
  topic: string,
  onRecord: (r: TopicRecord) => void | Promise<void>,
  opts: ReadTopicOptions = {},
): Promise<ReadTopicResult> {
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `vigil-topic-reader-${randomUUID()}`;
  let consumer: ReturnType<Kafka['consumer']> | undefined;
  try {
    const offsets = await watermarks(admin, topic);
    const highWatermarks = Object.fromEntries(offsets.map((o) => [o.partition, o.high]));
    // partition → first offset not to deliver (unless following).
    const pending = new Map(
      offsets.filter((o) => BigInt(o.high) > BigInt(o.low)).map((o) => [o.partition, BigInt(o.high)]),
    );
    const total = offsets.reduce((n, o) => n + Number(BigInt(o.high) - BigInt(o.low)), 0);
    let read = 0;
    if (pending.size === 0 && !opts.follow) {
      opts.onProgress?.({ read, total, caughtUp: true });
      return { read, highWatermarks };
    }
    consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 500 });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const c = consumer;
    await new Promise<void>((resolve, reject) => {
      let caughtUp = false;
      const timer = setTimeout(() => {
        if (!caughtUp)
          reject(
            new Error(
              `${topic}: not caught up after ${opts.timeoutMs ?? 120000} ms (partitions ${[...pending.keys()].join(', ')} behind)`,
            ),
          );
      }, opts.timeoutMs ?? 120000);
      timer.unref();
      const finish = () => {
        clearTimeout(timer);
        resolve();
      };
      if (opts.signal?.aborted) return finish();
      opts.signal?.addEventListener('abort', finish, { once: true });
      c.on(c.events.CRASH, (e) => {
        if (!e.payload.restart) reject(e.payload.error);
      });
      const markCaughtUp = () => {
        if (caughtUp || pending.size > 0) return;
        caughtUp = true;
        clearTimeout(timer);
        opts.onProgress?.({ read, total, caughtUp });
        if (!opts.follow) finish();
      };
      markCaughtUp();
      void c.run({
        autoCommit: false,
        eachBatch: async ({ batch, heartbeat, isRunning }) => {
          const stop = opts.follow ? undefined : (pending.get(batch.partition) ?? 0n);
          for (const message of batch.messages) {
            if (!isRunning()) return;
            const offset = BigInt(message.offset);
            if (stop !== undefined && offset >= stop) break; // past the start's high watermark
            await onRecord({ partition: batch.partition, message });
            read++;
            if (offset + 1n >= (pending.get(batch.partition) ?? 0n)) pending.delete(batch.partition);
          }
          await heartbeat();
          if (!caughtUp) opts.onProgress?.({ read, total, caughtUp });
          markCaughtUp();
        },
      });
    });
    return { read, highWatermarks };
  } finally {
    await consumer?.disconnect().catch(() => undefined);
    // Never committed, so nothing to lose: leave no trace of the throwaway group.
    if (consumer) await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
}
