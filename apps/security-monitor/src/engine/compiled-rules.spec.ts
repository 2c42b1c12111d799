import { EVENT_TYPES, EventType, type EventEnvelope } from '@vigil/contracts';
import { SAMPLE_EVENTS } from '@vigil/contracts/testing';
import { defaultRules } from '../testing/test-events';
import { compileRules, rulesByType, typedMatch } from './compiled-rules';

/** Variants of each sample that the per-event filters look at: outcomes, `repeated`, roles. */
function variants(type: EventType): EventEnvelope[] {
  const base = SAMPLE_EVENTS[type] as unknown as EventEnvelope;
  const out: EventEnvelope[] = [];
  for (const outcome of ['success', 'failure', 'denied'] as const)
    for (const attributes of [
      base.attributes,
      { ...base.attributes, repeated: true },
      { ...base.attributes, before: [], after: ['admin'] },
      { ...base.attributes, requiredRoles: ['admin'] },
    ])
      out.push({ ...base, outcome, attributes } as EventEnvelope);
  return out;
}

describe('rulesByType: a verdict decided by the event type equals the rule’s own match and total', () => {
  it.each(['user', 'ip', 'global', 'all'] as const)(
    '%s stage, every default rule, every event type',
    (stage) => {
      const rules = compileRules(defaultRules(), stage === 'all' ? 'all' : stage, [], 1000);
      const byType = rulesByType(rules);
      let decided = 0;
      for (const type of EVENT_TYPES)
        for (const typed of byType.get(type)!)
          for (const e of variants(type)) {
            const { rule, matched, counted, outcomes } = typed;
            expect([rule.def.id, type, e.outcome, typedMatch(typed, e)]).toEqual([
              rule.def.id,
              type,
              e.outcome,
              rule.match(e),
            ]);
            if (matched !== undefined || outcomes !== undefined) decided++;
            if (counted !== undefined)
              expect([rule.def.id, type, counted]).toEqual([rule.def.id, type, rule.total?.(e) ?? false]);
          }
      expect(decided).toBeGreaterThan(0);
      // An aggregate of junk requests is never decided by its type: it stands for another.
      for (const { matched, counted, outcomes } of byType.get(EventType.JUNK_REQUESTS_AGGREGATED)!) {
        expect(matched).toBeUndefined();
        expect(outcomes).toBeUndefined();
        if (counted !== false) expect(counted).toBeUndefined();
      }
    },
  );
});
