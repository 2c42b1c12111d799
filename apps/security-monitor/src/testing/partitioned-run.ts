import { createHash } from 'node:crypto';
import type { EventEnvelope } from '@vigil/contracts';
import { DetectionEngine, type EngineAlert, type EngineOptions } from '../engine/detection-engine';
import { ipOf } from '../engine/event-fields';
import type { RuleSet } from '../engine/rule-definition';
import { compileIpForwarding } from '../engine/ip-forwarding';

/** Kafka's default partitioner (murmur2) is what routes for real; this stands in for it in specs. */
export const partitionOf = (key: string, partitions: number): number =>
  createHash('sha256').update(key).digest().readUInt32BE(0) % partitions;

/**
 * The whole topology in one process, for specs: `partitions` input and repartition partitions;
 * each round hands every partition the events of the next `stepSeconds` of event time, as live
 * consumers do (partitions move through time together; see the README on catch-up).
 */
export function runPartitioned(
  rules: RuleSet,
  events: EventEnvelope[],
  opts: { partitions: number; stepSeconds: number; keyOf: (e: EventEnvelope) => string } & EngineOptions,
): EngineAlert[] {
  const { partitions, stepSeconds, keyOf, ...engineOpts } = opts;
  const engines = (stage: 'user' | 'ip') =>
    Array.from({ length: partitions }, () => new DetectionEngine(rules, { ...engineOpts, stage }));
  const user = engines('user');
  const ip = engines('ip');
  const global = new DetectionEngine(rules, { ...engineOpts, stage: 'global' });
  const sources = Array.from({ length: partitions }, (_, p) => p);
  for (const engine of [...ip, global]) engine.expectSources(sources);
  const forward = compileIpForwarding(rules);
  const inputs: EventEnvelope[][] = Array.from({ length: partitions }, () => []);
  for (const e of events) inputs[partitionOf(keyOf(e), partitions)].push(e);
  const out: EngineAlert[] = [];
  const repartitioned: Array<Array<[EventEnvelope, number]>> = Array.from({ length: partitions }, () => []);
  const next = inputs.map(() => 0);
  const timeOf = (e: EventEnvelope) => Date.parse(e.occurredAt);
  let until = Math.min(...events.map(timeOf));
  while (next.some((n, p) => n < inputs[p].length)) {
    until += stepSeconds * 1000;
    for (let p = 0; p < partitions; p++) {
      const from = next[p];
      while (next[p] < inputs[p].length && timeOf(inputs[p][next[p]]) < until) next[p]++;
      for (const e of inputs[p].slice(from, next[p])) {
        out.push(...user[p].process(e));
        if (forward(e)) repartitioned[partitionOf(ipOf(e)!, partitions)].push([e, p]);
      }
    }
    for (let p = 0; p < partitions; p++)
      for (const [e, source] of repartitioned[p].splice(0)) out.push(...ip[p].process(e, source));
    // A partition with nothing new this round is idle: its clock moves on anyway (the service
    // does this after MONITOR_IDLE_SECONDS of wall time), so its alerts resolve.
    for (let p = 0; p < partitions; p++) out.push(...global.mergePartial(p, user[p].drainPartials()));
    for (const engine of [...user, ...ip]) out.push(...engine.advanceTo(until - 1));
  }
  return out;
}
