import type { IHeaders, Kafka, KafkaMessage, Message } from 'kafkajs';
import { dlqTopic } from '@vigil/contracts';
import type { EventProducer } from './producer';
import { readTopic } from './topic-reader';
import { headerString } from './trace-headers';

/**
 * A replayed record is addressed to the consumer group that failed it (`dlq-consumer-group`): the
 * other groups on the topic handled the original already, so they skip it (EventConsumer does),
 * and the failing group deduplicates by event id as always.
 */
export const REPLAY_FOR_GROUP_HEADER = 'replay-for-group';
export const REPLAYED_FROM_HEADER = 'replayed-from';
export const REPLAYED_AT_HEADER = 'replayed-at';

export interface ReplayFilter {
  /** Only records whose `dlq-reason` is one of these (all when empty). */
  reasons?: string[];
  /** Only records that failed at or after this time (`dlq-failed-at`). */
  since?: Date;
}

export type ReplayPlan = { topic: string; message: Message } | { skip: 'filtered' | 'no_origin' };

/** What to send for one DLQ record: the original bytes, key, timestamp and headers, to the original topic. */
export function planReplay(
  m: KafkaMessage,
  from: { topic: string; partition: number },
  filter: ReplayFilter,
  now = new Date(),
): ReplayPlan {
  const headers = m.headers ?? {};
  const reason = headerString(headers, 'dlq-reason') ?? '';
  if (filter.reasons?.length && !filter.reasons.includes(reason)) return { skip: 'filtered' };
  if (filter.since) {
    const failedAt = Date.parse(headerString(headers, 'dlq-failed-at') ?? '');
    if (!(failedAt >= filter.since.getTime())) return { skip: 'filtered' };
  }
  const topic = headerString(headers, 'dlq-original-topic');
  if (!topic || dlqTopic(topic) !== from.topic) return { skip: 'no_origin' };
  const original: IHeaders = {};
  for (const [k, v] of Object.entries(headers)) {
    if (
      !k.startsWith('dlq-') &&
      k !== REPLAY_FOR_GROUP_HEADER &&
      k !== REPLAYED_FROM_HEADER &&
      k !== REPLAYED_AT_HEADER
    )
      original[k] = v;
  }
  const group = headerString(headers, 'dlq-consumer-group');
  if (group) original[REPLAY_FOR_GROUP_HEADER] = group;
  original[REPLAYED_FROM_HEADER] = `${from.topic}/${from.partition}/${m.offset}`;
  original[REPLAYED_AT_HEADER] = now.toISOString();
  return { topic, message: { key: m.key, value: m.value, headers: original, timestamp: m.timestamp } };
}

export interface ReplayProgress {
  /** Records of the DLQ read so far, and how many there were when the run started. */
  read: number;
  total: number;
  replayed: number;
  filtered: number;
  noOrigin: number;
  byReason: Record<string, number>;
  byTopic: Record<string, number>;
}

export interface ReplayOptions extends ReplayFilter {
  dlq: string;
  dryRun?: boolean;
  onProgress?: (p: ReplayProgress) => void;
  /** Records sent per produce call. Default 500. */
  batch?: number;
}

/**
 * Reads `<topic>.dlq` from its start up to the end offsets seen when the run began (records that
 * arrive meanwhile wait for the next run), and republishes each record that passes the filter.
 * Nothing is committed or deleted: the DLQ stays as the record of what failed, and running the
 * replay twice sends the same records twice, which the addressed consumer deduplicates.
 */
export async function replayDlq(
  kafka: Kafka,
  producer: EventProducer | undefined,
  opts: ReplayOptions,
): Promise<ReplayProgress> {
  if (!opts.dlq.endsWith('.dlq')) throw new Error(`--topic must name a DLQ (<topic>.dlq), got ${opts.dlq}`);
  if (!opts.dryRun && !producer) throw new Error('a producer is needed unless --dry-run');
  const admin = kafka.admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(opts.dlq)) throw new Error(`topic ${opts.dlq} does not exist`);
  } finally {
    await admin.disconnect();
  }
  const progress: ReplayProgress = {
    read: 0,
    total: 0,
    replayed: 0,
    filtered: 0,
    noOrigin: 0,
    byReason: {},
    byTopic: {},
  };
  const pending: Array<{ topic: string; message: Message }> = [];
  const flush = async () => {
    const byTopic = new Map<string, Message[]>();
    for (const p of pending.splice(0)) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.message]);
    for (const [topic, messages] of byTopic) if (!opts.dryRun) await producer!.send(topic, messages);
  };
  await readTopic(
    kafka,
    opts.dlq,
    async ({ partition, message }) => {
      progress.read++;
      const plan = planReplay(message, { topic: opts.dlq, partition }, opts);
      if ('skip' in plan) {
        if (plan.skip === 'filtered') progress.filtered++;
        else progress.noOrigin++;
        return;
      }
      pending.push(plan);
      progress.replayed++;
      const reason = headerString(message.headers ?? {}, 'dlq-reason') ?? 'unknown';
      progress.byReason[reason] = (progress.byReason[reason] ?? 0) + 1;
      progress.byTopic[plan.topic] = (progress.byTopic[plan.topic] ?? 0) + 1;
      if (pending.length >= (opts.batch ?? 500)) await flush();
    },
    {
      onProgress: (p) => {
        progress.total = p.total;
        opts.onProgress?.(progress);
      },
    },
  );
  await flush();
  return progress;
}

const MAX_REMEMBERED_REPLAYS = 100_000;

/**
 * A consumer's view of replays: a record replayed for another group is skipped (that group failed
 * it; this one handled the original), and one replayed for this group is admitted once per process
 * (bounded memory), marked so a handler that counts can also remember it durably. Replay headers
 * are removed, so a forwarded event is not taken for a replay downstream.
 */
export class ReplayGate {
  private readonly seen = new Set<string>();

  constructor(private readonly groupId: string) {}

  admit(message: KafkaMessage): 'skip' | 'replay' | undefined {
    const headers = message.headers;
    const group = headers && headerString(headers, REPLAY_FOR_GROUP_HEADER);
    if (!headers || group === undefined) return undefined;
    const eventId = headerString(headers, 'event-id');
    delete headers[REPLAY_FOR_GROUP_HEADER];
    delete headers[REPLAYED_FROM_HEADER];
    delete headers[REPLAYED_AT_HEADER];
    if (group !== this.groupId) return 'skip';
    if (eventId && this.seen.has(eventId)) return 'skip';
    if (eventId) {
      this.seen.add(eventId);
      if (this.seen.size > MAX_REMEMBERED_REPLAYS)
        this.seen.delete(this.seen.values().next().value as string);
    }
    return 'replay';
  }
}
