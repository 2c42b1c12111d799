import { decodeEvent, type DecodeResult } from '@vigil/contracts';
import { ReplayGate, type KafkaClient } from '@vigil/kafka';
import type { PartitionRange } from './replay-range';

/** One input record as the replay hands it to the topology. */
export interface ReplayRecord {
  partition: number;
  offset: string;
  /** The production decoder's verdict (libs/contracts decodeEvent). */
  decoded: DecodeResult;
  /** A DLQ replay addressed to the live group (npm run dlq:replay): counted once per event id. */
  replayed: boolean;
  /** Its event time (ms; -Infinity when malformed: handed on at once), the merge order's key. */
  time: number;
}

export interface ReaderOptions {
  groupId: string;
  /** The live monitor's group: DLQ replays addressed to it are the ones the live user stage admitted. */
  liveGroupId: string;
  /** Records of one partition in one step, as the live consumer's MONITOR_BATCH_MAX. */
  batchMax: number;
  /** Records buffered per partition before its fetching pauses (memory stays bounded on any range). */
  highWater?: number;
  /** Fail when a partition that still owes records sends none for this long. */
  stallMs?: number;
  onRead?: (read: number) => void;
  /** Stops the replay (Ctrl-C): the consumer leaves and its group is deleted, as at the end. */
  signal?: AbortSignal;
}

/** A FIFO whose take is O(1) (Array#shift copies a long array every time). */
class RecordQueue {
  private items: ReplayRecord[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  peek(): ReplayRecord {
    return this.items[this.head];
  }

  push(r: ReplayRecord): void {
    this.items.push(r);
  }

  take(): ReplayRecord {
    const r = this.items[this.head++];
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return r;
  }
}

interface Feed {
  range: PartitionRange;
  queue: RecordQueue;
  /** Next offset expected (records below it were delivered already: a re-delivery is skipped). */
  next: bigint;
  done: boolean;
  paused: boolean;
}

/**
 * Reads each partition's range [start, end) of a topic in its own throwaway consumer group (never
 * the live one; nothing is committed and the group is deleted afterwards) and hands the records
 * on in one deterministic order, whatever the fetch timing: partitions merged by event time
 * (occurredAt; ties to the lower partition), each in offset order, in steps of consecutive
 * records of one partition (at most batchMax), as a live consumer steps its partitions through a
 * stream arriving as it happens. A malformed record is handed on where it lies (undecoded).
 */
export async function readMerged(
  kafka: KafkaClient,
  topic: string,
  ranges: PartitionRange[],
  opts: ReaderOptions,
  onStep: (partition: number, records: ReplayRecord[]) => Promise<void> | void,
): Promise<{ read: number }> {
  const highWater = opts.highWater ?? 5000;
  const stallMs = opts.stallMs ?? 120_000;
  const feeds = new Map<number, Feed>(
    ranges.map((range) => [
      range.partition,
      { range, queue: new RecordQueue(), next: range.start, done: range.start >= range.end, paused: false },
    ]),
  );
  if ([...feeds.values()].every((f) => f.done)) return { read: 0 };

  const gate = new ReplayGate(opts.liveGroupId);
  let read = 0;
  let failure: Error | undefined;
  let wake: () => void = () => undefined;
  const changed = () => wake();
  const consumer = kafka.consumer({
    groupId: opts.groupId,
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: 500,
    retry: { retries: 8, initialRetryTime: 300, maxRetryTime: 10_000 },
  });
  const seekAll = () => {
    for (const f of feeds.values())
      consumer.seek({ topic, partition: f.range.partition, offset: String(f.done ? f.range.end : f.next) });
  };
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    // (Re)joining (first start, or KafkaJS restarting the consumer after an error) resumes every
    // partition where this replay is, not at the group's (absent) committed offsets.
    consumer.on(consumer.events.GROUP_JOIN, () => seekAll());
    consumer.on(consumer.events.CRASH, (e) => {
      if (!e.payload.restart) {
        failure = e.payload.error;
        changed();
      }
    });
    await consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: Math.max(1, feeds.size),
      eachBatch: async ({ batch, heartbeat, isRunning }) => {
        const f = feeds.get(batch.partition);
        if (!f || f.done) return;
        for (const message of batch.messages) {
          if (!isRunning()) return;
          const offset = BigInt(message.offset);
          if (offset < f.next) continue; // before the range, or delivered already
          if (offset >= f.range.end) {
            f.done = true;
            break;
          }
          const replay = gate.admit(message);
          f.next = offset + 1n;
          read++;
          if (replay !== 'skip') {
            const decoded = decodeEvent(message.value);
            f.queue.push({
              partition: batch.partition,
              offset: message.offset,
              decoded,
              replayed: replay === 'replay',
              time: decoded.ok ? Date.parse(decoded.event.occurredAt) : -Infinity,
            });
          }
          if (f.next >= f.range.end) f.done = true;
        }
        // The last offsets of a range can be transaction markers, never delivered as records.
        if (!f.done && BigInt(batch.lastOffset()) + 1n >= f.range.end) f.done = true;
        if (!f.done && f.queue.length >= highWater && !f.paused) {
          f.paused = true;
          consumer.pause([{ topic, partitions: [batch.partition] }]);
        }
        opts.onRead?.(read);
        changed();
        await heartbeat();
      },
    });
    seekAll();

    opts.signal?.addEventListener('abort', () => changed(), { once: true });
    const waiting = () => [...feeds.values()].filter((f) => !f.done && f.queue.length === 0);
    /** Waits until every partition still owing records has one buffered (or fails): no order is decided on a partial view. */
    const ready = async (): Promise<void> => {
      if (opts.signal?.aborted) throw new Error('interrupted');
      for (let w = waiting(); w.length > 0; w = waiting()) {
        if (failure) throw failure;
        const before = read;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, stallMs);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        if (failure) throw failure;
        if (opts.signal?.aborted) throw new Error('interrupted');
        if (read === before && waiting().length > 0)
          throw new Error(
            `${topic}: no records for ${stallMs / 1000} s from partition(s) ${waiting()
              .map((f) => `${f.range.partition} (at offset ${f.next} of ${f.range.end})`)
              .join(', ')}; is the broker reachable?`,
          );
      }
    };
    /** The partition whose next record comes first: earliest event time, then lowest partition. */
    const first = (): Feed | undefined => {
      let pick: Feed | undefined;
      for (const f of ordered) {
        if (f.queue.length === 0) continue;
        if (!pick || f.queue.peek().time < pick.queue.peek().time) pick = f;
      }
      return pick;
    };
    const ordered = [...feeds.values()].sort((a, b) => a.range.partition - b.range.partition);

    /** Whether some partition still owing records has none buffered (checked per record: no allocation). */
    const mustWait = () => {
      for (const f of ordered) if (!f.done && f.queue.length === 0) return true;
      return opts.signal?.aborted === true;
    };
    for (;;) {
      if (mustWait()) await ready();
      const pick = first();
      if (!pick) break; // every partition done and drained
      // A step: this partition's records while it stays first (and at most batchMax).
      const step: ReplayRecord[] = [pick.queue.take()];
      while (step.length < opts.batchMax) {
        if (mustWait()) await ready();
        if (first() !== pick) break;
        step.push(pick.queue.take());
      }
      if (pick.paused && pick.queue.length < highWater / 2) {
        pick.paused = false;
        consumer.resume([{ topic, partitions: [pick.range.partition] }]);
      }
      await onStep(pick.range.partition, step);
    }
    return { read };
  } finally {
    await consumer.disconnect().catch(() => undefined);
    // Never committed: leave no trace of the throwaway group.
    const admin = kafka.admin();
    await admin
      .connect()
      .then(() => admin.deleteGroups([opts.groupId]))
      .catch(() => undefined)
      .finally(() => admin.disconnect().catch(() => undefined));
  }
}
