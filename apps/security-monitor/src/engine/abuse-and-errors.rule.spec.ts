import { firings, run } from '../testing/engine-runs';
import { login, onlyRules, rateLimited, sec, serverError, spread } from '../testing/test-events';
import type { EventEnvelope } from '@vigil/contracts';

describe('429 abuse and the 5xx ratio', () => {
  it('seed 000-19: more than 100 rate-limited responses in a minute fire; 100 do not', () => {
    const rules = onlyRules('rate-limited-spike-global');
    const burst = (n: number) => spread(n, 0, 55, (t, i) => rateLimited(t, `198.51.100.${i % 250}`));
    expect(firings(run(rules, burst(101)))).toHaveLength(1);
    expect(run(rules, burst(100))).toEqual([]);
  });

  it('seed 003-20: denials from 3 distinct IPs within a minute escalate; 3 denials from one IP do not', () => {
    const rules = onlyRules('rate-limited-unique-ips');
    expect(
      firings(
        run(
          rules,
          spread(3, 0, 30, (t, i) => rateLimited(t, `198.51.100.${i + 1}`)),
        ),
      ),
    ).toMatchObject([{ severity: 'low' }]);
    expect(
      run(
        rules,
        spread(3, 0, 30, (t) => rateLimited(t, '198.51.100.1')),
      ),
    ).toEqual([]);
  });

  /** `total` events over 4 minutes of which `errors` are 5xx, evenly through (never above errors/total). */
  const traffic = (total: number, errors: number): EventEnvelope[] =>
    spread(total, 0, 240, (t, i) =>
      (i + 1) % Math.floor(total / errors) === 0 ? serverError(t) : login(t, `u-${i}`),
    );

  it('seed 003-05: 2% 5xx over 5 minutes fires the 1% rule, not the 5% one; 6% fires both (002-10 pages)', () => {
    const rules = onlyRules('server-errors-ratio-1pct', 'server-errors-ratio-5pct');
    expect(firings(run(rules, traffic(200, 4))).map((a) => a.ruleId)).toEqual(['server-errors-ratio-1pct']);
    expect(
      firings(run(rules, traffic(200, 12)))
        .map((a) => a.ruleId)
        .sort(),
    ).toEqual(['server-errors-ratio-1pct', 'server-errors-ratio-5pct']);
  });

  it('near misses: exactly 1% does not fire, nor does a high ratio below the minimum volume', () => {
    const rules = onlyRules('server-errors-ratio-1pct', 'server-errors-ratio-5pct');
    expect(run(rules, traffic(200, 2))).toEqual([]);
    expect(run(rules, traffic(50, 10))).toEqual([]);
  });

  it('a denominator-only event still fires when it brings the window to the minimum volume, or when the window moves on', () => {
    const rules = onlyRules('server-errors-ratio-1pct');
    // Five errors then 94 logins: 99 events, below minTotal 100; the 100th (a login) makes it 5%.
    const first = [
      ...spread(5, 0, 1, () => serverError(sec(0))),
      ...spread(94, 1, 94, (t) => login(t, 'u-1')),
    ];
    expect(run(rules, first)).toEqual([]);
    expect(firings(run(rules, [...first, login(sec(96), 'u-1')]))).toHaveLength(1);
    // 2 errors after 300 logins (0.66%) in 5 minutes; then 20 logins over 200 s: as the early logins leave the
    // window the errors' share rises above 1% with no new error (the errors are at the end).
    const late = [
      ...spread(300, 0, 290, (t) => login(t, 'u-2')),
      serverError(sec(291)),
      serverError(sec(292)),
      ...spread(20, 293, 200, (t) => login(t, 'u-2')),
    ];
    expect(firings(run(rules, late))).toHaveLength(1);
  });
});
