import { eventKey, type EventEnvelope } from '@vigil/contracts';
import { run } from '../testing/engine-runs';
import {
  defaultRules,
  failedLogin,
  login,
  rateLimited,
  sec,
  serverError,
  spread,
} from '../testing/test-events';
import { runPartitioned } from './partitioned-run';

// The in-process topology the rules check runs fixtures through (production code since issue 19).
describe('runPartitioned: the three stages in one process', () => {
  const traffic: EventEnvelope[] = [
    ...spread(12, 0, 50, (t) => failedLogin(t, 'brute@example.com', '198.51.100.7')),
    ...spread(20, 60, 100, (t, i) => failedLogin(t, `stuffed${i}@example.com`, '203.0.113.5')),
    ...spread(60, 200, 50, (t, i) => failedLogin(t, `wide${i % 40}@example.com`, `192.0.2.${i % 200}`)),
    ...spread(3, 400, 20, (t, i) => rateLimited(t, `198.51.100.${100 + i}`)),
    ...spread(150, 0, 1000, (t, i) => login(t, `u-${i}`, `198.51.100.${i % 50}`)),
    ...spread(12, 700, 200, (t) => serverError(t)),
  ].sort((a, b) => a.occurredAt.localeCompare(b.occurredAt));
  const lines = (alerts: ReturnType<typeof run>) =>
    alerts.map((a) => `${a.ruleId} ${a.key.value} ${a.status} ${a.count}`);

  it('seed 000-18: with wire on (forwarded events and partials records through the contracts codecs) the alerts are those without', () => {
    const opts = { partitions: 3, stepSeconds: 5, keyOf: eventKey };
    const plain = runPartitioned(defaultRules(), traffic, opts);
    const wired = runPartitioned(defaultRules(), traffic, { ...opts, wire: true });
    expect(lines(wired)).toEqual(lines(plain));
    // The traffic exercises every stage: user, per-IP (forwarded) and global (partials) rules fire.
    expect([...new Set(plain.filter((a) => a.status === 'firing').map((a) => a.ruleId))]).toEqual(
      expect.arrayContaining([
        'failed-logins-per-user-1m-critical',
        'failed-logins-per-ip-1h',
        'credential-stuffing-per-ip',
        'failed-logins-global-1m-warning',
        'rate-limited-unique-ips',
      ]),
    );
  });

  it('endAt moves every stage on after the last event: every alert that fired resolves, per-IP and global ones too', () => {
    const alerts = runPartitioned(defaultRules(), traffic, {
      partitions: 2,
      stepSeconds: 1,
      keyOf: eventKey,
      wire: true,
      endAt: sec(1000 + 3600 + 60),
    });
    const fired = alerts.filter((a) => a.status === 'firing').map((a) => a.alertId);
    const resolved = alerts.filter((a) => a.status === 'resolved').map((a) => a.alertId);
    expect(fired.length).toBeGreaterThan(0);
    expect(new Set(resolved)).toEqual(new Set(fired));
    // Without it, the last hour's per-IP alert is still open.
    const open = runPartitioned(defaultRules(), traffic, { partitions: 2, stepSeconds: 1, keyOf: eventKey });
    expect(open.some((a) => a.ruleId === 'failed-logins-per-ip-1h' && a.status === 'resolved')).toBe(false);
  });

  it('no events, no alerts; bad options are refused', () => {
    expect(runPartitioned(defaultRules(), [], { partitions: 2, stepSeconds: 1, keyOf: eventKey })).toEqual(
      [],
    );
    expect(() =>
      runPartitioned(defaultRules(), traffic, { partitions: 0, stepSeconds: 1, keyOf: eventKey }),
    ).toThrow('partitions');
    expect(() =>
      runPartitioned(defaultRules(), traffic, { partitions: 1, stepSeconds: 0, keyOf: eventKey }),
    ).toThrow('stepSeconds');
  });
});
