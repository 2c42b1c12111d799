import { firings, run } from '../testing/engine-runs';
import { accessDenied, onlyRules, spread } from '../testing/test-events';

// Seed 004-49: "Privilege escalation attempts": a non-admin account probing admin routes.
describe('privilege escalation attempts', () => {
  const rules = onlyRules('admin-route-denials-per-user');

  it('seed 004-49: 4 admin-route denials for one account within 10 minutes fire; 3 do not', () => {
    const alerts = firings(
      run(
        rules,
        spread(4, 0, 500, (t) => accessDenied(t, 'u-intern', ['admin'])),
      ),
    );
    expect(alerts).toMatchObject([
      {
        ruleId: 'admin-route-denials-per-user',
        key: { kind: 'user', value: 'u-intern' },
        severity: 'medium',
        mitre: ['TA0004', 'T1078'],
      },
    ]);
    expect(
      run(
        rules,
        spread(3, 0, 500, (t) => accessDenied(t, 'u-intern', ['admin'])),
      ),
    ).toEqual([]);
  });

  it('denials on routes that need another role, or spread over more than 10 minutes, do not count', () => {
    expect(
      run(
        rules,
        spread(6, 0, 300, (t) => accessDenied(t, 'u-intern', ['auditor'], '/api/v1/audit/logs')),
      ),
    ).toEqual([]);
    expect(
      run(
        rules,
        spread(4, 0, 2400, (t) => accessDenied(t, 'u-intern', ['admin'])),
      ),
    ).toEqual([]);
  });
});
