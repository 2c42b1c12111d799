import { firings, run } from '../testing/engine-runs';
import { failedLogin, onlyRules, sec } from '../testing/test-events';

// Stuffing: one IP, >= 15 accounts, <= 2 tries each. Spraying: one IP, >= 5 accounts, few tries each, over >= 5 min.
describe('credential stuffing and password spraying', () => {
  const rules = onlyRules('credential-stuffing-per-ip', 'password-spraying-per-ip');
  const IP = '203.0.113.99';
  /** `accounts` accounts, `tries` each, round-robin, evenly over `spanSec`. */
  const attack = (accounts: number, tries: number, spanSec: number, grouped = false) => {
    const n = accounts * tries;
    const account = (i: number) => (grouped ? Math.floor(i / tries) : i % accounts);
    return Array.from({ length: n }, (_, i) =>
      failedLogin(sec((spanSec * i) / n), `victim${account(i)}@example.com`, IP),
    );
  };

  it('seed 000-18: 15 accounts, one try each within 2 minutes, is credential stuffing (T1110.004) with a dry-run BLOCK_IP', () => {
    const alerts = firings(run(rules, attack(15, 1, 120)));
    expect(alerts.map((a) => a.ruleId)).toEqual(['credential-stuffing-per-ip']);
    expect(alerts[0]).toMatchObject({
      key: { kind: 'ip', value: IP },
      mitre: ['TA0006', 'T1110', 'T1110.004'],
      response: { action: 'BLOCK_IP', dryRun: true },
    });
  });

  it('near misses for stuffing: 14 accounts; or 15 accounts tried 3 times each, one after another', () => {
    expect(run(rules, attack(14, 1, 120))).toEqual([]);
    expect(firings(run(rules, attack(15, 3, 120, true)), 'credential-stuffing-per-ip')).toEqual([]);
  });

  it('seed 000-18: 6 accounts, 3 tries each over 10 minutes, is password spraying (T1110.003)', () => {
    const alerts = firings(run(rules, attack(6, 3, 600)));
    expect(alerts.map((a) => a.ruleId)).toEqual(['password-spraying-per-ip']);
    expect(alerts[0].mitre).toContain('T1110.003');
  });

  it('near misses for spraying: the same 6 accounts within 2 minutes (too fast), or 4 accounts over 10 minutes', () => {
    expect(firings(run(rules, attack(6, 3, 120)), 'password-spraying-per-ip')).toEqual([]);
    expect(run(rules, attack(4, 3, 600))).toEqual([]);
  });
});
