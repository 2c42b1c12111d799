import type { SocContext, SocRuleInfo } from '@vigil/contracts';
import type { RuleSet } from '../engine/rule-definition';

/** What the SOC mappings know of each rule, from a rules file (the one in force, or RULES_FILE for the CLI). */
export function socContextOf(rules: () => RuleSet | undefined, productVersion: string): SocContext {
  let cachedFor: RuleSet | undefined;
  let byId = new Map<string, SocRuleInfo>();
  return {
    productVersion,
    rule: (ruleId) => {
      const current = rules();
      if (current !== cachedFor) {
        cachedFor = current;
        byId = new Map(
          (current?.rules ?? []).map((r) => [
            r.id,
            { description: r.description, types: r.match.types, seeds: r.seeds ?? [] },
          ]),
        );
      }
      return byId.get(ruleId);
    },
  };
}
