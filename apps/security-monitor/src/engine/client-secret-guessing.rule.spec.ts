import { firings, run } from '../testing/engine-runs';
import { clientAuthFailed, onlyRules, spread } from '../testing/test-events';

describe('client secret guessing (CLIENT_AUTH_FAILED, issue 20 follow-up)', () => {
  const rules = onlyRules('client-secret-guessing-per-ip');

  it('seeds 000-18 / 003-18: 6 failed client authentications from one IP in 10 minutes fire high (T1110)', () => {
    expect(
      firings(
        run(
          rules,
          spread(6, 0, 500, (t) => clientAuthFailed(t, '192.0.2.44')),
        ),
      ),
    ).toMatchObject([
      {
        ruleId: 'client-secret-guessing-per-ip',
        severity: 'high',
        key: { kind: 'ip', value: '192.0.2.44' },
        count: 6,
      },
    ]);
  });

  it('5 from one IP, or 6 from six IPs, or 6 spread over more than the window, do not', () => {
    expect(
      run(
        rules,
        spread(5, 0, 500, (t) => clientAuthFailed(t, '192.0.2.44')),
      ),
    ).toEqual([]);
    expect(
      run(
        rules,
        spread(6, 0, 500, (t, i) => clientAuthFailed(t, `192.0.2.${i + 1}`)),
      ),
    ).toEqual([]);
    expect(
      run(
        rules,
        spread(6, 0, 1500, (t) => clientAuthFailed(t, '192.0.2.44')),
      ),
    ).toEqual([]);
  });
});
