import { readFileSync } from 'node:fs';
import { DEFAULT_RULES_FILE } from '../testing/test-events';
import { parseRuleSet, RulesFileError } from './rule-validation';

describe('rules file validation', () => {
  const text = readFileSync(DEFAULT_RULES_FILE, 'utf8');
  const edit = (
    f: (j: { rules: Array<Record<string, unknown>> } & Record<string, unknown>) => void,
  ): string => {
    const j = JSON.parse(text);
    f(j);
    return JSON.stringify(j);
  };
  const problems = (t: string): string[] => {
    try {
      parseRuleSet(t);
    } catch (err) {
      expect(err).toBeInstanceOf(RulesFileError);
      return (err as RulesFileError).problems;
    }
    throw new Error('the file was accepted');
  };

  it('seed 003-27: the default file loads, versioned, with every seed threshold as a rule', () => {
    const set = parseRuleSet(text);
    expect(set.version).toBeGreaterThanOrEqual(1);
    const seeds = set.rules.flatMap((r) => r.seeds ?? []);
    for (const row of [
      '001-32',
      '001-33',
      '001-36',
      '001-37',
      '002-11',
      '003-18',
      '003-19',
      '004-48',
      '000-20',
      '000-21',
      '003-20',
      '003-05',
      '002-10',
    ]) {
      expect(seeds).toContain(row);
    }
  });

  it('names the rule and the field of every problem', () => {
    const bad = edit((j) => {
      j.rules[0].severity = 'urgent';
      j.rules[1].window = { seconds: 0 };
      j.rules[2].match = { types: ['FAILED_LOGIN'] };
    });
    expect(problems(bad)).toEqual([
      'rule failed-logins-per-user-1m-warning.severity: one of critical, high, medium, low, info',
      'rule failed-logins-per-user-1m-critical.window.seconds: an integer 1..86400',
      'rule failed-logins-per-user-10m.match.types: event types from the contracts (unknown: FAILED_LOGIN)',
    ]);
  });

  it('refuses bad JSON, duplicates, unknown fields, a response the key cannot target, and a ratio above 1', () => {
    expect(problems('{"version": 1, "rules": [')[0]).toMatch(/^not JSON/);
    expect(problems(edit((j) => j.rules.push({ ...j.rules[0] })))).toEqual([
      'rule failed-logins-per-user-1m-warning.id: duplicate',
    ]);
    expect(problems(edit((j) => (j.rules[0].treshold = 5)))).toEqual([
      'rule failed-logins-per-user-1m-warning.treshold: unknown field',
    ]);
    expect(
      problems(
        edit(
          (j) => (j.rules[5].response = { action: 'BLOCK_IP', ttlSeconds: 60, enabled: true, dryRun: false }),
        ),
      ),
    ).toEqual([
      'rule failed-logins-global-1m-warning.response.action: BLOCK_IP needs a rule keyed by ip or user_ip, not global',
    ]);
    expect(
      problems(
        edit(
          (j) =>
            ((
              j.rules.find((r) => r.id === 'server-errors-ratio-1pct')!.condition as Record<string, unknown>
            ).gt = 2),
        ),
      ),
    ).toEqual(['rule server-errors-ratio-1pct.condition.gt: a fraction 0 <= gt < 1']);
    expect(problems(edit((j) => (j.version = 0)))).toEqual(['file.version: an integer >= 1']);
  });
});
