import { firings, run } from '../testing/engine-runs';
import { runPartitioned } from '../testing/partitioned-run';
import {
  junkAggregate,
  login,
  onlyRules,
  rateLimited,
  sec,
  serverError,
  spread,
  tokenInvalid,
} from '../testing/test-events';

// Issue 14 item 10: the gateway records the first junk request of a window in full and the rest as
// one JUNK_REQUESTS_AGGREGATED with a count. Rules that count the aggregated type see the count.
describe('junk aggregates count as the requests they stand for', () => {
  it('seed 003-19: one refused token plus an aggregate of 499 from one IP fire token-validation-failures-per-ip with count 500; 1 + 4, or another kind, do not', () => {
    const rules = onlyRules('token-validation-failures-per-ip');
    const alerts = firings(
      run(rules, [tokenInvalid(sec(0), '192.0.2.9'), junkAggregate(sec(60), '192.0.2.9', 499)]),
    );
    expect(alerts).toMatchObject([
      { ruleId: 'token-validation-failures-per-ip', key: { kind: 'ip', value: '192.0.2.9' }, count: 500 },
    ]);
    expect(run(rules, [tokenInvalid(sec(0), '192.0.2.9'), junkAggregate(sec(60), '192.0.2.9', 4)])).toEqual(
      [],
    );
    expect(
      run(rules, [tokenInvalid(sec(0), '192.0.2.9'), junkAggregate(sec(60), '192.0.2.9', 499, 'blocked_ip')]),
    ).toEqual([]);
  });

  it('seed 003-19: the aggregate reaches the per-IP stage of a partitioned deployment too', () => {
    const rules = onlyRules('token-validation-failures-per-ip');
    const events = [tokenInvalid(sec(0), '192.0.2.9'), junkAggregate(sec(60), '192.0.2.9', 30)];
    const alerts = runPartitioned(rules, events, {
      partitions: 3,
      stepSeconds: 5,
      keyOf: (e) => e.subject?.username ?? e.source?.ip ?? e.id,
    });
    expect(firings(alerts)).toMatchObject([{ key: { kind: 'ip', value: '192.0.2.9' }, count: 31 }]);
  });

  it('seed 000-19: throttled requests aggregated by the gateway still make a 429 spike (global)', () => {
    const rules = onlyRules('rate-limited-spike-global');
    expect(
      firings(
        run(rules, [
          rateLimited(sec(0), '198.51.100.7'),
          junkAggregate(sec(50), '198.51.100.7', 150, 'throttled'),
        ]),
      ),
    ).toHaveLength(1);
    expect(
      firings(
        run(rules, [
          rateLimited(sec(0), '198.51.100.7'),
          junkAggregate(sec(50), undefined, 150, 'throttled'),
        ]),
      ),
    ).toHaveLength(1);
  });

  it('seed 003-05: aggregated junk is traffic in the 5xx ratio, as its requests were one by one (2 errors in 400 requests stay under 1%)', () => {
    const rules = onlyRules('server-errors-ratio-1pct');
    const traffic = [
      ...spread(2, 1, 10, (t) => serverError(t)),
      ...spread(98, 11, 60, (t, i) => login(t, `u-${i}`)),
    ];
    expect(firings(run(rules, [junkAggregate(sec(0), '192.0.2.9', 3), ...traffic]))).toHaveLength(1); // 2 of 103: 1.9%
    expect(run(rules, [junkAggregate(sec(0), '192.0.2.9', 300), ...traffic])).toEqual([]); // 2 of 400: 0.5%
  });
});
