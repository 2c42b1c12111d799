import { alertDedupKey } from '@vigil/contracts';
import { firings, run } from '../testing/engine-runs';
import { failedLogin, onlyRules, spread } from '../testing/test-events';

// Seed thresholds C3 (RUNBOOK-MAP): per user > 5/min warning, > 10/min critical, > 5 in 10 min, > 5 in 15 min.
describe('failed logins per user', () => {
  const user = (n: number, from: number, span: number, name = 'alice@example.com') =>
    spread(n, from, span, (t) => failedLogin(t, name));

  it('seed 001-36: 6 failures in a minute fire the warning (medium, SEV-3 model), keyed by the normalised username', () => {
    const alerts = run(onlyRules('failed-logins-per-user-1m-warning'), user(6, 0, 50, ' Alice@Example.com'));
    const [a] = firings(alerts);
    expect(firings(alerts)).toHaveLength(1);
    expect(a).toMatchObject({
      severity: 'medium',
      count: 6,
      key: { kind: 'user', value: 'alice@example.com' },
      mitre: ['TA0006', 'T1110'],
    });
    expect(a.alertId).toBe(alertDedupKey('failed-logins-per-user-1m-warning', 'user', 'alice@example.com'));
    expect(a.sampleEventIds).toHaveLength(6);
  });

  it('seed 001-36: near miss, 5 failures in a minute and 6 spread over 62 s, fire nothing', () => {
    expect(run(onlyRules('failed-logins-per-user-1m-warning'), user(5, 0, 50))).toEqual([]);
    expect(firings(run(onlyRules('failed-logins-per-user-1m-warning'), user(6, 0, (62 * 6) / 5)))).toEqual(
      [],
    );
  });

  it('seed 001-32: 11 failures in a minute fire critical with its (dry-run) LOCK_ACCOUNT response; 10 do not', () => {
    const rules = onlyRules('failed-logins-per-user-1m-critical');
    const [a, ...rest] = firings(run(rules, user(11, 0, 55)));
    expect(rest).toEqual([]);
    expect(a).toMatchObject({
      severity: 'critical',
      count: 11,
      response: { action: 'LOCK_ACCOUNT', ttlSeconds: 900, dryRun: true },
    });
    expect(run(rules, user(10, 0, 55))).toEqual([]);
  });

  it('seed 003-18: 6 failures over 9 minutes fire the 10-minute rule (and not the 1-minute one); over 11 minutes they do not', () => {
    const rules = onlyRules('failed-logins-per-user-10m', 'failed-logins-per-user-1m-warning');
    expect(firings(run(rules, user(6, 0, 9 * 60))).map((a) => a.ruleId)).toEqual([
      'failed-logins-per-user-10m',
    ]);
    expect(firings(run(rules, user(6, 0, (11 * 60 * 6) / 5)))).toEqual([]);
  });

  it('seed 004-48: 6 failures over 14 minutes fire the 15-minute rule; over 16 minutes they do not', () => {
    const rules = onlyRules('failed-logins-per-user-15m');
    expect(firings(run(rules, user(6, 0, 14 * 60)))).toHaveLength(1);
    expect(firings(run(rules, user(6, 0, (16 * 60 * 6) / 5)))).toEqual([]);
  });

  it('the same wrong password again (repeated) does not count', () => {
    const events = spread(8, 0, 40, (t, i) => failedLogin(t, 'bob@example.com', '198.51.100.1', i >= 3));
    expect(run(onlyRules('failed-logins-per-user-1m-warning'), events)).toEqual([]);
  });

  it('an allowlisted account or IP raises no keyed alert', () => {
    const rules = onlyRules('failed-logins-per-user-1m-warning');
    expect(run(rules, user(8, 0, 40), { allowlist: { ips: [], users: ['ALICE@example.com'] } })).toEqual([]);
    expect(run(rules, user(8, 0, 40), { allowlist: { ips: ['198.51.100.0/24'], users: [] } })).toEqual([]);
    expect(
      firings(run(rules, user(8, 0, 40), { allowlist: { ips: ['192.0.2.0/24'], users: ['carol'] } })),
    ).toHaveLength(1);
  });
});
