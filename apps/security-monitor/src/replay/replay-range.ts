/*
 * Where a replay starts and ends (`--from`, `--to`): offsets (one for every partition, or one per
 * partition), an ISO time (the first record at or after it, by Kafka's record timestamp, which
 * Vigil's producers set to the event's occurredAt), `earliest`, or `end`. Pure parsing here;
 * resolving against the topic's watermarks is resolveRanges.
 */

/** A command-line mistake: the CLI prints the message and exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type Position =
  | { kind: 'earliest' }
  | { kind: 'end' }
  | { kind: 'offset'; offset: bigint }
  | { kind: 'offsets'; byPartition: Map<number, bigint> }
  | { kind: 'time'; at: number; text: string };

const OFFSET = /^\d{1,19}$/;
const PER_PARTITION = /^\d{1,6}:\d{1,19}(,\d{1,6}:\d{1,19})*$/;
const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2}))?$/;

const HELP_POSITION =
  'an offset for every partition (120), one per partition (0:120,1:98,2:131), an ISO time (2026-01-05T10:00:00Z), earliest or end';

export function parsePosition(flag: string, text: string): Position {
  const v = text.trim();
  if (v === 'earliest' || v === 'beginning') return { kind: 'earliest' };
  if (v === 'end' || v === 'latest') return { kind: 'end' };
  if (OFFSET.test(v)) return { kind: 'offset', offset: BigInt(v) };
  if (PER_PARTITION.test(v)) {
    const byPartition = new Map<number, bigint>();
    for (const part of v.split(',')) {
      const [p, o] = part.split(':');
      if (byPartition.has(Number(p))) throw new UsageError(`${flag} ${text}: partition ${p} given twice`);
      byPartition.set(Number(p), BigInt(o));
    }
    return { kind: 'offsets', byPartition };
  }
  if (ISO.test(v)) {
    const at = Date.parse(v.length === 10 ? `${v}T00:00:00Z` : v);
    if (Number.isFinite(at)) return { kind: 'time', at, text: new Date(at).toISOString() };
    throw new UsageError(`${flag} ${text}: not a valid date`);
  }
  throw new UsageError(
    `${flag} ${JSON.stringify(text)}: expected ${HELP_POSITION}${/^\d{4}-/.test(v) ? ' (an ISO time needs a time zone, e.g. Z)' : ''}`,
  );
}

/** One partition's part of the replay: offsets [start, end). */
export interface PartitionRange {
  partition: number;
  start: bigint;
  end: bigint;
}

/** What the broker says of each partition: its low and high watermarks, and the offsets of a time if asked. */
export interface TopicWatermarks {
  topic: string;
  partitions: Array<{ partition: number; low: bigint; high: bigint }>;
  /** partition -> first offset whose record timestamp is at or after the time (high when none). */
  offsetsAt(at: number): Promise<Map<number, bigint>>;
}

export interface ResolvedRanges {
  ranges: PartitionRange[];
  /** Notes for the operator (retention moved a start forward, ...). */
  notes: string[];
}

/**
 * The offsets a replay covers per partition, from `from` up to `to` (default: the end offsets
 * now, so the replay terminates). Throws UsageError naming the partition and offset for a
 * position the topic does not have.
 */
export async function resolveRanges(
  w: TopicWatermarks,
  from: Position,
  to: Position = { kind: 'end' },
): Promise<ResolvedRanges> {
  const notes: string[] = [];
  const starts = await offsetsOf(w, '--from', from);
  const ends = await offsetsOf(w, '--to', to);
  const ranges: PartitionRange[] = [];
  for (const { partition, low, high } of w.partitions) {
    let start = starts.get(partition)!;
    const end = ends.get(partition)!;
    if (start > high)
      throw new UsageError(
        `--from: partition ${partition} of ${w.topic} ends at offset ${high}; ${start} is beyond it`,
      );
    if (end > high)
      throw new UsageError(
        `--to: partition ${partition} of ${w.topic} ends at offset ${high}; ${end} is beyond it`,
      );
    if (start < low) {
      notes.push(
        `partition ${partition}: offsets before ${low} are gone (retention); starting at ${low} instead of ${start}`,
      );
      start = low;
    }
    if (end < start)
      throw new UsageError(
        `--to is before --from on partition ${partition} of ${w.topic} (offset ${end} < ${start})`,
      );
    ranges.push({ partition, start, end });
  }
  return { ranges, notes };
}

async function offsetsOf(w: TopicWatermarks, flag: string, pos: Position): Promise<Map<number, bigint>> {
  switch (pos.kind) {
    case 'earliest':
      return new Map(w.partitions.map((p) => [p.partition, p.low]));
    case 'end':
      return new Map(w.partitions.map((p) => [p.partition, p.high]));
    case 'offset':
      return new Map(w.partitions.map((p) => [p.partition, pos.offset]));
    case 'time':
      return w.offsetsAt(pos.at);
    case 'offsets': {
      const known = new Set(w.partitions.map((p) => p.partition));
      const unknown = [...pos.byPartition.keys()].filter((p) => !known.has(p));
      if (unknown.length)
        throw new UsageError(
          `${flag}: ${w.topic} has no partition ${unknown.join(', ')} (it has ${w.partitions.length})`,
        );
      const missing = [...known].filter((p) => !pos.byPartition.has(p));
      if (missing.length)
        throw new UsageError(
          `${flag}: give an offset for every partition of ${w.topic} (missing ${missing.join(', ')}), or one offset for all`,
        );
      return pos.byPartition;
    }
  }
}
