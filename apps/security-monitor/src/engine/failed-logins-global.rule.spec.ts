import { firings, run } from '../testing/engine-runs';
import { failedLogin, onlyRules, spread } from '../testing/test-events';

// Seed thresholds C4: system-wide > 50/min warning, > 100/min critical, > 200 in 5 min pages.
describe('failed logins system-wide', () => {
  const many = (n: number, span: number) =>
    spread(n, 0, span, (t, i) => failedLogin(t, `user${i}@example.com`, `198.51.100.${i % 200}`));

  it('seed 001-37: 51 failures in a minute across 51 accounts fire the global warning; 50 do not', () => {
    const rules = onlyRules('failed-logins-global-1m-warning');
    expect(firings(run(rules, many(51, 55)))).toMatchObject([
      { severity: 'medium', key: { kind: 'global', value: '*' }, count: 51 },
    ]);
    expect(run(rules, many(50, 55))).toEqual([]);
  });

  it('seed 001-33: 101 failures in a minute fire the global critical; 100 do not', () => {
    const rules = onlyRules('failed-logins-global-1m-critical');
    expect(firings(run(rules, many(101, 55)))).toMatchObject([{ severity: 'critical', count: 101 }]);
    expect(run(rules, many(100, 55))).toEqual([]);
  });

  it('seed 002-11: 201 failures in 4.5 minutes page (high) though no minute reaches the warning; 200 in 5 minutes do not', () => {
    const rules = onlyRules('failed-logins-global-5m-page', 'failed-logins-global-1m-warning');
    expect(firings(run(rules, many(201, 270))).map((a) => [a.ruleId, a.severity])).toEqual([
      ['failed-logins-global-5m-page', 'high'],
    ]);
    expect(run(rules, many(200, 300))).toEqual([]);
  });

  it('seed 001-60: one IP with 11 failures within an hour fires the per-IP rule; 10 do not', () => {
    const rules = onlyRules('failed-logins-per-ip-1h');
    const fromIp = (n: number) => spread(n, 0, 3000, (t) => failedLogin(t, 'erin', '203.0.113.50'));
    expect(firings(run(rules, fromIp(11)))).toMatchObject([{ key: { kind: 'ip', value: '203.0.113.50' } }]);
    expect(run(rules, fromIp(10))).toEqual([]);
  });
});
