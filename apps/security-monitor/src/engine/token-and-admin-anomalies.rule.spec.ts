import { firings, run } from '../testing/engine-runs';
import {
  onlyRules,
  refresh,
  refreshReuse,
  roleChanged,
  sec,
  spread,
  tokenInvalid,
} from '../testing/test-events';

describe('token and admin anomalies', () => {
  it('seed 000-20: any refresh-token reuse fires critical with a (dry-run) REVOKE_SESSIONS; ordinary refreshes do not', () => {
    const rules = onlyRules('refresh-token-reuse');
    expect(firings(run(rules, [refreshReuse(sec(0), 'u-7')]))).toMatchObject([
      {
        severity: 'critical',
        key: { kind: 'user', value: 'u-7' },
        count: 1,
        response: { action: 'REVOKE_SESSIONS' },
      },
    ]);
    expect(
      run(
        rules,
        spread(20, 0, 60, (t) => refresh(t, 'u-7')),
      ),
    ).toEqual([]);
  });

  it('seed 000-20: more than 30 refreshes for one user in 5 minutes is a spike; 30 are not', () => {
    const rules = onlyRules('token-refresh-spike-per-user');
    expect(
      firings(
        run(
          rules,
          spread(31, 0, 280, (t) => refresh(t, 'u-8')),
        ),
      ),
    ).toHaveLength(1);
    expect(
      run(
        rules,
        spread(30, 0, 280, (t) => refresh(t, 'u-8')),
      ),
    ).toEqual([]);
  });

  it('seed 003-19: 6 token validation failures from one IP in 10 minutes fire; 5, or 6 from six IPs, do not', () => {
    const rules = onlyRules('token-validation-failures-per-ip');
    expect(
      firings(
        run(
          rules,
          spread(6, 0, 500, (t) => tokenInvalid(t, '192.0.2.7')),
        ),
      ),
    ).toMatchObject([{ key: { kind: 'ip', value: '192.0.2.7' } }]);
    expect(
      run(
        rules,
        spread(5, 0, 500, (t) => tokenInvalid(t, '192.0.2.7')),
      ),
    ).toEqual([]);
    expect(
      run(
        rules,
        spread(6, 0, 500, (t, i) => tokenInvalid(t, `192.0.2.${i + 1}`)),
      ),
    ).toEqual([]);
  });

  it('seed 000-21 / 004-49: every admin grant alerts (one per account); other role changes do not', () => {
    const rules = onlyRules('admin-role-granted');
    const grants = [
      roleChanged(sec(0), 'u-1', ['user'], ['user', 'admin']),
      roleChanged(sec(5), 'u-2', [], ['admin']),
    ];
    expect(firings(run(rules, grants)).map((a) => [a.key.value, a.severity])).toEqual([
      ['u-1', 'high'],
      ['u-2', 'high'],
    ]);
    const benign = [
      roleChanged(sec(0), 'u-3', ['user'], ['user', 'auditor']),
      roleChanged(sec(1), 'u-4', ['admin'], ['admin', 'auditor']),
    ];
    expect(run(rules, benign)).toEqual([]);
  });
});
