import { randomUUID } from 'node:crypto';
import type { EventEnvelope, EventOf } from '@vigil/contracts';
import { partitionOfKey, type KafkaClient } from '@vigil/kafka';
import { responseOutcomeOf, toAlertEvent } from '../alerts/alert-events';
import type { EngineAlert, EngineOptions } from '../engine/detection-engine';
import type { RuleSet } from '../engine/rule-definition';
import { InProcessTopology } from './in-process-topology';
import { readMerged, type ReplayRecord } from './merged-range-reader';
import { resolveRanges, UsageError, type PartitionRange, type Position } from './replay-range';

/*
 * `npm run monitor:replay`: the rules over a stored range of the input topic, through the
 * production decoder and the live topology's engines (InProcessTopology), in a throwaway consumer
 * group and in-memory state of its own. Writes the SECURITY_ALERT events the live monitor would
 * build (alerts/alert-events.ts, the same response notes); never the live topics, state or actions.
 */

/** An event stamped further ahead than this is a broken clock (as in the live stages' processEvents). */
const MAX_FUTURE_SKEW_MS = 5 * 60_000;
/** Replayed malformed records listed in the summary (all are counted). */
const MALFORMED_LISTED = 50;

export interface ReplayRequest {
  topic: string;
  from: Position;
  /** Default: the end offsets when the replay starts. */
  to?: Position;
  rules: RuleSet;
  engine: EngineOptions;
  /** Records of one partition per step (MONITOR_BATCH_MAX). */
  batchMax: number;
  /** MONITOR_DRY_RUN: responses noted as dry-run in every alert's summary. */
  dryRunAll: boolean;
  /** The live monitor's consumer group (KAFKA_GROUP_ID): only to admit the DLQ replays it admitted. Never joined. */
  liveGroupId: string;
  /**
   * After the range, every stage's clock moves here as the live idle clock moves a quiet stream's
   * to the wall clock, so alerts whose windows have passed resolve: 'now' (the default when the
   * range runs to the end of the topic), an event time, or 'none' (the default with --to: the
   * stream goes on after the range, and later events decide).
   */
  endClock?: 'now' | 'none' | number;
  /** Topics that must exist before anything is read (the --publish topic). */
  requireTopics?: string[];
  /** Partitions of the live IP repartition topic (MONITOR_REPARTITION_TOPIC); default the input's. */
  repartitionTopic?: string;
  /** Where the alert events go (the JSON lines writer, or a --publish producer). */
  emit(events: Array<EventOf<'SECURITY_ALERT'>>): Promise<void> | void;
  progress?(p: ReplayProgress): void;
  /** Broker connection attempts before giving up (exponential backoff from 500 ms). */
  connectAttempts?: number;
  onRetry?(attempt: number, err: Error, waitMs: number): void;
  /** Fail when a partition owing records sends none for this long. */
  stallMs?: number;
  /** Stops the replay (the CLI's Ctrl-C): it ends with an error, leaving no consumer group behind. */
  signal?: AbortSignal;
}

export interface ReplayProgress {
  read: number;
  total: number;
  elapsedMs: number;
}

export interface ReplaySummary {
  topic: string;
  groupId: string;
  rulesVersion: number;
  ranges: Array<{ partition: number; start: string; end: string }>;
  ipPartitions: number;
  notes: string[];
  records: number;
  events: number;
  malformed: {
    count: number;
    listed: Array<{ partition: number; offset: string; reason: string; detail: string }>;
  };
  lateDropped: { user: number; ip: number };
  futureDropped: number;
  replaysSkipped: number;
  forwarded: number;
  transitions: number;
  alerts: Record<string, { firing: number; updated: number; resolved: number }>;
  stillOpen: number;
  endClock: string;
  elapsedMs: number;
  eventsPerSecond: number;
}

/** The broker could not be reached (after retries): the CLI exits 1. */
export class BrokerUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BrokerUnavailableError';
  }
}

export async function runReplay(kafka: KafkaClient, req: ReplayRequest): Promise<ReplaySummary> {
  const started = Date.now();
  const groupId = `vigil-monitor-replay-${randomUUID()}`;
  const admin = kafka.admin();
  await connectWithRetry(admin, req);
  let ranges: PartitionRange[];
  let notes: string[];
  let ipPartitions: number;
  try {
    const topics = await admin.listTopics();
    if (!topics.includes(req.topic))
      throw new UsageError(`topic ${req.topic} does not exist (or this principal may not describe it)`);
    for (const t of req.requireTopics ?? [])
      if (!topics.includes(t))
        throw new UsageError(`topic ${t} does not exist (create it first; a replay creates no topics)`);
    const offsets = await admin.fetchTopicOffsets(req.topic);
    const watermarks = {
      topic: req.topic,
      partitions: offsets
        .map((o) => ({ partition: o.partition, low: BigInt(o.low), high: BigInt(o.high) }))
        .sort((a, b) => a.partition - b.partition),
      offsetsAt: async (at: number) =>
        new Map(
          (await admin.fetchTopicOffsetsByTimestamp(req.topic, at)).map((o) => [
            o.partition,
            BigInt(o.offset),
          ]),
        ),
    };
    ({ ranges, notes } = await resolveRanges(watermarks, req.from, req.to));
    ipPartitions = watermarks.partitions.length;
    if (req.repartitionTopic && topics.includes(req.repartitionTopic)) {
      const meta = await admin.fetchTopicMetadata({ topics: [req.repartitionTopic] });
      ipPartitions = meta.topics[0].partitions.length;
    } else if (req.repartitionTopic) {
      notes.push(
        `repartition topic ${req.repartitionTopic} not found: the IP stage is run with ${ipPartitions} partition(s), as the input`,
      );
    }
  } finally {
    await admin.disconnect().catch(() => undefined);
  }

  const topology = new InProcessTopology(req.rules, {
    ...req.engine,
    inputPartitions: ranges.length,
    ipPartitions,
    ipPartitionOf: partitionOfKey,
  });
  const total = ranges.reduce((n, r) => n + Number(r.end - r.start), 0);
  const alerts: ReplaySummary['alerts'] = {};
  const malformed: ReplaySummary['malformed'] = { count: 0, listed: [] };
  let events = 0;
  let futureDropped = 0;
  let replaysSkipped = 0;
  let transitions = 0;

  const emit = async (out: EngineAlert[]) => {
    if (out.length === 0) return;
    transitions += out.length;
    for (const a of out) {
      const byStatus = (alerts[a.ruleId] ??= { firing: 0, updated: 0, resolved: 0 });
      byStatus[a.status]++;
    }
    // The alert events the live AlertPublisher builds (ids derived from the transition, response notes);
    // responses are never acted on by a replay.
    await req.emit(out.map((a) => toAlertEvent(a, responseOutcomeOf(a, req.dryRunAll).note)));
  };

  const onStep = async (partition: number, records: ReplayRecord[]) => {
    const horizon = Date.now() + MAX_FUTURE_SKEW_MS;
    const fresh: EventEnvelope[] = [];
    for (const r of records) {
      if (!r.decoded.ok) {
        malformed.count++;
        if (malformed.listed.length < MALFORMED_LISTED)
          malformed.listed.push({
            partition,
            offset: r.offset,
            reason: r.decoded.reason,
            detail: r.decoded.detail,
          });
        continue;
      }
      const e = r.decoded.event;
      if (r.replayed && !topology.user[partition].firstReplay(e.id)) {
        replaysSkipped++;
        continue;
      }
      if (Date.parse(e.occurredAt) > horizon) {
        futureDropped++;
        continue;
      }
      fresh.push(e);
    }
    events += fresh.length;
    await emit(topology.step(partition, fresh));
  };

  let lastProgress = 0;
  const { read } = await readMerged(
    kafka,
    req.topic,
    ranges,
    {
      groupId,
      liveGroupId: req.liveGroupId,
      batchMax: req.batchMax,
      stallMs: req.stallMs,
      signal: req.signal,
      onRead: (n) => {
        const now = Date.now();
        if (now - lastProgress < 1000 && n < total) return;
        lastProgress = now;
        req.progress?.({ read: n, total, elapsedMs: now - started });
      },
    },
    onStep,
  );

  const endClock = req.endClock ?? (req.to === undefined || req.to.kind === 'end' ? 'now' : 'none');
  if (endClock !== 'none') await emit(topology.advanceAll(endClock === 'now' ? Date.now() : endClock));
  const stats = topology.stats();
  const elapsedMs = Date.now() - started;
  return {
    topic: req.topic,
    groupId,
    rulesVersion: req.rules.version,
    ranges: ranges.map((r) => ({ partition: r.partition, start: String(r.start), end: String(r.end) })),
    ipPartitions,
    notes,
    records: read,
    events,
    malformed,
    lateDropped: stats.lateDropped,
    futureDropped,
    replaysSkipped,
    forwarded: stats.forwarded,
    transitions,
    alerts,
    stillOpen: stats.activeAlerts,
    endClock: endClock === 'none' ? 'none' : new Date(endClock === 'now' ? started : endClock).toISOString(),
    elapsedMs,
    eventsPerSecond: Math.round(events / Math.max(0.001, elapsedMs / 1000)),
  };
}

async function connectWithRetry(
  admin: ReturnType<KafkaClient['admin']>,
  req: Pick<ReplayRequest, 'connectAttempts' | 'onRetry'>,
): Promise<void> {
  const attempts = req.connectAttempts ?? 6;
  for (let attempt = 1; ; attempt++) {
    try {
      await admin.connect();
      return;
    } catch (err) {
      if (attempt >= attempts)
        throw new BrokerUnavailableError(
          `Kafka unreachable after ${attempts} attempt(s): ${(err as Error).message}`,
        );
      const waitMs = Math.min(8000, 500 * 2 ** (attempt - 1));
      req.onRetry?.(attempt, err as Error, waitMs);
      await new Promise((r) => setTimeout(r, waitMs));
    }
  }
}

/** The summary for stderr: what was read, what was dropped, the alerts by rule and status. */
export function formatSummary(s: ReplaySummary): string {
  const lines = [
    `replayed ${s.topic} ${s.ranges.map((r) => `${r.partition}:[${r.start},${r.end})`).join(' ')} with rules version ${s.rulesVersion} (group ${s.groupId}, deleted)`,
    `${s.records} records, ${s.events} events, ${s.malformed.count} malformed, ${s.lateDropped.user + s.lateDropped.ip} late-dropped (user stage ${s.lateDropped.user}, IP stage ${s.lateDropped.ip}), ${s.futureDropped} future-clock dropped, ${s.replaysSkipped} DLQ replays skipped; ${s.forwarded} forwarded to the keyed stage (${s.ipPartitions} partition(s))`,
    `${s.transitions} alert transitions in ${(s.elapsedMs / 1000).toFixed(1)} s (${s.eventsPerSecond} events/s); end clock ${s.endClock}; ${s.stillOpen} alert(s) still open`,
  ];
  for (const [rule, c] of Object.entries(s.alerts).sort(([a], [b]) => a.localeCompare(b)))
    lines.push(`  ${rule}: firing ${c.firing}, updated ${c.updated}, resolved ${c.resolved}`);
  for (const n of s.notes) lines.push(`note: ${n}`);
  for (const m of s.malformed.listed)
    lines.push(`malformed: partition ${m.partition} offset ${m.offset}: ${m.reason} (${m.detail})`);
  if (s.malformed.count > s.malformed.listed.length)
    lines.push(`malformed: ... and ${s.malformed.count - s.malformed.listed.length} more`);
  return lines.join('\n');
}
