import { createHash } from 'node:crypto';
import {
  decodeEvent,
  decodeGlobalPartialsRecord,
  encodeEvent,
  encodeGlobalPartialsRecord,
  repartitionRecordKey,
  type EventEnvelope,
} from '@vigil/contracts';
import {
  DetectionEngine,
  type EngineAlert,
  type EngineOptions,
  type PartialCounts,
} from './detection-engine';
import { eventTimeMs } from './event-time';
import { compileKeyedForwarding } from './keyed-forwarding';
import type { KeyedKind, RuleSet } from './rule-definition';

/*
 * The service's three-stage topology (README "Stages") in one process, on the engine's public API:
 * user-stage engines per input partition -> the forwarding function (one record per key kind an
 * event is forwarded for, partitioned by its record key) -> keyed engines per repartition
 * partition, each record evaluated by its kind's rules -> each user partition's partial counts merged into one global engine.
 * Used by the rules check (`npm run monitor:test-rules`: fixtures run through what the service
 * runs) and by the specs that prove N partitions raise the alerts one engine does.
 */

/**
 * Routes a record key to a partition. Stands in for Kafka's partitioner (murmur2), which is what
 * routes for real: which partition a key lands on never changes the alerts, only where they are raised.
 */
export const partitionOf = (key: string, partitions: number): number =>
  createHash('sha256').update(key).digest().readUInt32BE(0) % partitions;

export interface PartitionedRunOptions extends EngineOptions {
  /** Input (and repartition) partitions. */
  partitions: number;
  /** Each round hands every partition the next `stepSeconds` of event time, as live consumers do. */
  stepSeconds: number;
  /** The input record key (the gateway keys auth events by user: contracts' `eventKey`). */
  keyOf: (e: EventEnvelope) => string;
  /**
   * Round-trip what crosses a topic through the contracts' codecs as the live stages do: forwarded
   * events through encodeEvent/decodeEvent, partial counts through the GLOBAL_PARTIALS record.
   */
  wire?: boolean;
  /** After the last event, move every stage's event time to this (ms) so open alerts resolve. */
  endAt?: number;
}

/** A record the topology could not carry (a forwarded event or partials record its own decoder refuses). */
export class TopologyWireError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TopologyWireError';
  }
}

/**
 * Runs `events` (in input order: each partition receives its events in the order given) through
 * the topology and returns every alert transition, in the order the stages emitted them.
 */
export function runPartitioned(
  rules: RuleSet,
  events: EventEnvelope[],
  opts: PartitionedRunOptions,
): EngineAlert[] {
  const { partitions, stepSeconds, keyOf, wire = false, endAt, ...engineOpts } = opts;
  if (!Number.isInteger(partitions) || partitions < 1) throw new RangeError('partitions: an integer >= 1');
  if (!(stepSeconds > 0)) throw new RangeError('stepSeconds: > 0');
  const engines = (stage: 'user' | 'ip') =>
    Array.from({ length: partitions }, () => new DetectionEngine(rules, { ...engineOpts, stage }));
  const user = engines('user');
  const ip = engines('ip');
  const global = new DetectionEngine(rules, { ...engineOpts, stage: 'global' });
  const sources = Array.from({ length: partitions }, (_, p) => p);
  for (const engine of [...ip, global]) engine.expectSources(sources);
  const forward = compileKeyedForwarding(rules);
  const carry = wire ? carryEvent : (e: EventEnvelope) => e;
  const merge = (p: number, partial: PartialCounts): EngineAlert[] =>
    wire ? mergeRecord(global, p, partial) : global.mergePartial(p, partial);

  const inputs: EventEnvelope[][] = Array.from({ length: partitions }, () => []);
  for (const e of events) inputs[partitionOf(keyOf(e), partitions)].push(e);
  const out: EngineAlert[] = [];
  const repartitioned: Array<Array<[EventEnvelope, number, KeyedKind]>> = Array.from(
    { length: partitions },
    () => [],
  );
  const next = inputs.map(() => 0);
  const timeOf = (e: EventEnvelope) => eventTimeMs(e.occurredAt);
  const stepMs = stepSeconds * 1000;
  let until = events.length ? Math.min(...events.map(timeOf)) : 0;
  const idleRound = (to: number) => {
    for (const engine of [...user, ...ip]) out.push(...engine.advanceTo(to));
    for (let p = 0; p < partitions; p++) out.push(...merge(p, user[p].drainPartials()));
  };
  while (next.some((n, p) => n < inputs[p].length)) {
    // Rounds with no input anywhere collapse into one idle round: only the clocks move.
    const nextT = Math.min(
      ...inputs.map((input, p) => (next[p] < input.length ? timeOf(input[next[p]]) : Infinity)),
    );
    if (nextT >= until + stepMs) {
      until += Math.floor((nextT - until) / stepMs) * stepMs;
      idleRound(until - 1);
    }
    until += stepMs;
    for (let p = 0; p < partitions; p++) {
      const from = next[p];
      while (next[p] < inputs[p].length && timeOf(inputs[p][next[p]]) < until) next[p]++;
      for (const e of inputs[p].slice(from, next[p])) {
        out.push(...user[p].process(e));
        for (const r of forward(e))
          repartitioned[partitionOf(repartitionRecordKey(r.kind, r.value), partitions)].push([
            carry(e),
            p,
            r.kind,
          ]);
      }
    }
    for (let p = 0; p < partitions; p++)
      for (const [e, source, kind] of repartitioned[p].splice(0)) out.push(...ip[p].process(e, source, kind));
    // A partition with nothing new this round is idle: its clock moves on anyway (the service
    // does this after MONITOR_IDLE_SECONDS of wall time), so its alerts resolve.
    for (let p = 0; p < partitions; p++) out.push(...merge(p, user[p].drainPartials()));
    for (const engine of [...user, ...ip]) out.push(...engine.advanceTo(until - 1));
  }
  if (endAt !== undefined) {
    idleRound(endAt);
    out.push(...global.advanceTo(endAt));
  }
  return out;
}

/** A forwarded event as the keyed stage's consumer sees it: encoded by the user stage, decoded by contracts. */
function carryEvent(e: EventEnvelope): EventEnvelope {
  const decoded = decodeEvent(encodeEvent(e));
  if (!decoded.ok)
    throw new TopologyWireError(
      `forwarded event refused by the decoder (${decoded.reason}): ${decoded.detail}`,
    );
  return decoded.event;
}

/** A user partition's counts as the global stage sees them: a GLOBAL_PARTIALS record, encoded and decoded. */
function mergeRecord(global: DetectionEngine, source: number, partial: PartialCounts): EngineAlert[] {
  const bytes = Buffer.from(encodeGlobalPartialsRecord({ v: 1, source, upto: '0', ...partial }), 'utf8');
  const decoded = decodeGlobalPartialsRecord(bytes);
  if (!decoded.ok)
    throw new TopologyWireError(
      `partials record refused by the decoder (${decoded.reason}): ${decoded.detail}`,
    );
  return global.mergePartial(decoded.record.source, decoded.record);
}
