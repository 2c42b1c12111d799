import type { EventEnvelope } from '@vigil/contracts';
import { DetectionEngine, type EngineAlert, type EngineOptions } from '../engine/detection-engine';
import type { RuleSet } from '../engine/rule-definition';

/** Runs events through a fresh engine (the production code path) and returns every transition. */
export function run(rules: RuleSet, events: EventEnvelope[], opts?: EngineOptions): EngineAlert[] {
  const engine = new DetectionEngine(rules, opts);
  return events.flatMap((e) => engine.process(e));
}

export const firings = (alerts: EngineAlert[], ruleId?: string) =>
  alerts.filter((a) => a.status === 'firing' && (!ruleId || a.ruleId === ruleId));
export const byStatus = (alerts: EngineAlert[]) => alerts.map((a) => `${a.ruleId}:${a.status}`);
