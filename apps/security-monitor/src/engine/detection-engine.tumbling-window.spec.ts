import { firings, run } from '../testing/engine-runs';
import { type RuleSet } from './rule-definition';
import { parseRuleSet } from './rule-validation';
import { failedLogin, onlyRules, sec, T0 } from '../testing/test-events';

// Tumbling windows: fixed, aligned to multiples of the window (a report-style "per calendar minute" count).
describe('tumbling windows', () => {
  const as = (type: 'sliding' | 'tumbling'): RuleSet => {
    const r = onlyRules('failed-logins-per-user-1m-warning');
    return { ...r, rules: r.rules.map((x) => ({ ...x, window: { seconds: 60, type } })) };
  };
  // T0 is on a minute boundary; these straddle the boundary at T0 + 60 s.
  const straddling = [50, 52, 54, 56, 58, 61, 63, 65].map((s) => failedLogin(sec(s), 'kim'));

  it('8 failures across a minute boundary fire a sliding minute but not a tumbling one (5 + 3)', () => {
    expect(T0 % 60_000).toBe(0);
    expect(firings(run(as('sliding'), straddling))).toHaveLength(1);
    expect(run(as('tumbling'), straddling)).toEqual([]);
  });

  it('6 failures inside one calendar minute fire, late ones included, counting what the window holds', () => {
    const inside = [60, 70, 80, 110, 90, 100].map((s) => failedLogin(sec(s), 'kim')); // 90 and 100 arrive late
    const alerts = run(as('tumbling'), inside);
    expect(firings(alerts)).toHaveLength(1);
    expect(firings(alerts)[0]).toMatchObject({ count: 6, firstSeen: sec(60), lastSeen: sec(110) });
  });

  it('the window type is validated', () => {
    const rules = JSON.parse(JSON.stringify(as('tumbling')));
    rules.rules[0].window = { seconds: 60, type: 'hopping', size: 1 };
    expect(() => parseRuleSet(JSON.stringify(rules))).toThrow(
      /window\.size: unknown field.*window\.type: one of sliding, tumbling|window\.type: one of sliding, tumbling.*window\.size: unknown field/,
    );
    expect(parseRuleSet(JSON.stringify(as('tumbling'))).rules[0].window).toEqual({
      seconds: 60,
      type: 'tumbling',
    });
  });
});
