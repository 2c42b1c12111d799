import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { SocContext, SocRuleInfo } from '@vigil/contracts';
import { type RuleSet } from '../engine/rule-definition';
import { parseRuleSet } from '../engine/rule-validation';

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

/**
 * For the CLIs: the rules file's descriptions if it can be read (a warning otherwise: the records
 * then name rules by id only), and the version from VIGIL_VERSION or the root package.json.
 */
export function socContextFromFile(
  rulesFile: string,
  release: string | undefined,
  warn: (message: string) => void,
): SocContext {
  let rules: RuleSet | undefined;
  try {
    rules = parseRuleSet(readFileSync(path.resolve(rulesFile), 'utf8'));
  } catch (err) {
    warn(`RULES_FILE ${rulesFile}: ${(err as Error).message}; rules are named by id only`);
  }
  return socContextOf(() => rules, release ?? packageVersion());
}

function packageVersion(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'vigil' && pkg.version) return pkg.version;
    } catch {
      /* no package.json here */
    }
    if (path.dirname(dir) === dir) return '0.0.0-unknown';
  }
}
