import type { ConsumedEvent } from '@vigil/kafka';
import type { EngineAlert } from '../../engine/detection-engine';
import type { RuleKeyKind } from '../../engine/rule-definition';
import { monitorMetrics } from '../../monitor.metrics';
import type { StagePartition, TopologyStage } from './stage';

/** An event stamped further ahead than this is a broken clock: it would drag the watermark forward and resolve everything. */
const MAX_FUTURE_SKEW_MS = 5 * 60_000;

/** What a stage adds to the common event step (user and IP stages). */
export interface EventStepHooks {
  /** A record this partition applied already (IP stage: a repartitioned duplicate). Checked first. */
  duplicate?(c: ConsumedEvent): boolean;
  /** The upstream partition the event came from (IP stage: its clock is the slowest source's). */
  sourceOf?(c: ConsumedEvent): number | undefined;
  /** Keyed stage: the record's key kind; only the rules of that kind see it. */
  kindOf?(c: ConsumedEvent): RuleKeyKind | undefined;
  /** After an event was processed (user stage: forwarding to the IP stage). */
  processed?(c: ConsumedEvent): void;
}

/**
 * Runs events through the partition's engine: duplicates and DLQ replays this partition already
 * counted are skipped, events from a broken clock (too far in the future) dropped; all counted.
 */
export function processEvents(
  stage: TopologyStage,
  p: StagePartition,
  events: ConsumedEvent[],
  hooks: EventStepHooks = {},
): EngineAlert[] {
  const m = monitorMetrics();
  const before = p.engine.stats().lateDropped;
  const alerts: EngineAlert[] = [];
  let skipped = 0;
  const horizon = Date.now() + MAX_FUTURE_SKEW_MS;
  let future = 0;
  for (const c of events) {
    // A repartitioned duplicate (IP stage), or a DLQ replay this partition already counted.
    if (hooks.duplicate?.(c) || (c.replayed && !p.engine.firstReplay(c.event.id))) {
      skipped++;
      continue;
    }
    const e = c.event;
    if (Date.parse(e.occurredAt) > horizon) {
      future++;
      continue;
    }
    const source = hooks.sourceOf?.(c);
    if (source !== undefined) p.heard.set(source, Date.now());
    alerts.push(...p.engine.process(e, source, hooks.kindOf?.(c)));
    hooks.processed?.(c);
  }
  const late = p.engine.stats().lateDropped - before;
  m.events.add(events.length - late - future - skipped, { stage });
  if (skipped) m.skippedReplayed.add(skipped, { stage });
  if (late) m.lateDropped.add(late, { reason: 'beyond_lateness', stage });
  if (future) m.lateDropped.add(future, { reason: 'future_clock', stage });
  return alerts;
}
