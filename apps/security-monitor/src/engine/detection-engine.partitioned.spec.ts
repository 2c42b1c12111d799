import type { EventEnvelope } from '@vigil/contracts';
import { DetectionEngine, type EngineAlert } from './detection-engine';
import { run } from '../testing/engine-runs';
import { userOf } from './event-fields';
import { runPartitioned } from '../testing/partitioned-run';
import {
  defaultRules,
  failedLogin,
  failedLoginWithFingerprint,
  fingerprintOf,
  login,
  rateLimited,
  refreshReuse,
  roleChanged,
  sec,
  serverError,
  spread,
  tokenInvalid,
} from '../testing/test-events';

// Scale-out: user rules on the user-keyed input, rules keyed by IP, route or password fingerprint
// on the keyed repartition (one record per kind, each counted once by its kind's rules), global
// rules from merged per-partition counts. However the events are spread, the alerts are the same.
describe('partitioned stages give the alerts of one engine', () => {
  const keyOf = (e: EventEnvelope) => userOf(e) ?? e.id;
  const traffic = [
    ...spread(12, 0, 50, (t) => failedLogin(t, 'brute@example.com', '198.51.100.7')),
    ...spread(20, 60, 100, (t, i) => failedLogin(t, `stuffed${i}@example.com`, '203.0.113.5')),
    ...spread(60, 200, 50, (t, i) => failedLogin(t, `wide${i % 40}@example.com`, `192.0.2.${i % 200}`)),
    ...spread(24, 300, 600, (t, i) => failedLogin(t, `sprayed${i % 6}@example.com`, '203.0.113.77')),
    ...spread(3, 400, 20, (t, i) => rateLimited(t, `198.51.100.${100 + i}`)),
    // One password on 8 accounts from 8 IPs over 20 minutes (keyed stage, password_fingerprint),
    // and 429s on a second route where a repeated IP breaks every run (keyed stage, route).
    ...spread(8, 100, 1200, (t, i) =>
      failedLoginWithFingerprint(t, `fp${i}@example.com`, `192.0.2.${150 + i}`, fingerprintOf('Summer2026!')),
    ),
    ...spread(6, 420, 30, (t, i) =>
      rateLimited(t, `198.51.100.${i % 2 ? 130 + i : 120}`, '/api/v1/auth/login'),
    ),
    ...spread(7, 500, 60, (t) => tokenInvalid(t, '198.51.100.99')),
    ...spread(300, 0, 1000, (t, i) => login(t, `u-${i}`, `198.51.100.${i % 50}`)),
    ...spread(12, 700, 200, (t) => serverError(t)),
    refreshReuse(sec(400), 'u-9'),
    roleChanged(sec(450), 'u-3', ['viewer'], ['viewer', 'admin']),
    login(sec(3000), 'u-idle'),
  ].sort((a, b) => a.occurredAt.localeCompare(b.occurredAt));
  const summary = (alerts: EngineAlert[], status: string) =>
    alerts
      .filter((a) => a.status === status)
      .map((a) => `${a.ruleId} ${a.key.value}`)
      .sort();

  const single = run(defaultRules(), traffic);

  it('the mixed traffic fires user, per-IP and global rules in one engine', () => {
    const rules = new Set(single.filter((a) => a.status === 'firing').map((a) => a.ruleId));
    for (const r of [
      'failed-logins-per-user-1m-critical',
      'credential-stuffing-per-ip',
      'password-spraying-per-ip',
      'failed-logins-global-1m-warning',
      'rate-limited-unique-ips',
      'server-errors-ratio-1pct',
      'refresh-token-reuse',
      'admin-role-granted',
      'token-validation-failures-per-ip',
      'password-spray-shared-password',
      'rate-limited-consecutive-unique-ips',
    ]) {
      expect(rules).toContain(r);
    }
    const byRoute = single.filter(
      (a) => a.status === 'firing' && a.ruleId === 'rate-limited-consecutive-unique-ips',
    );
    expect(byRoute.map((a) => a.key.value)).toEqual(['/api/v1/auth/token']);
  });

  it.each([
    [1, 1],
    [2, 7],
    [3, 20],
    [4, 25],
  ])(
    'with %i partitions in steps of %i s event time: the same alerts fire and resolve',
    (partitions, step) => {
      const split = runPartitioned(defaultRules(), traffic, { partitions, stepSeconds: step, keyOf });
      expect(summary(split, 'firing')).toEqual(summary(single, 'firing'));
      expect(summary(split, 'resolved')).toEqual(summary(single, 'resolved'));
    },
  );

  it('catch-up: each partition replays its whole backlog in one step, one after another, and the per-IP and global stages still count every event', () => {
    const split = runPartitioned(defaultRules(), traffic, { partitions: 4, stepSeconds: 100_000, keyOf });
    // (Resolutions here follow the idle clock the simulation jumps 100,000 s ahead, so only firings compare.)
    expect(summary(split, 'firing')).toEqual(summary(single, 'firing'));
  });

  it('global counts are the sum over partitions: 51 failures spread over 4 partitions fire the warning, 50 do not', () => {
    const burst = (n: number) =>
      spread(n, 0, 50, (t, i) => failedLogin(t, `g${i}@example.com`, `192.0.2.${i}`));
    const warned = (n: number) =>
      runPartitioned(defaultRules(), burst(n), { partitions: 4, stepSeconds: 5, keyOf }).filter(
        (a) => a.ruleId === 'failed-logins-global-1m-warning' && a.status === 'firing',
      );
    expect(warned(51)).toHaveLength(1);
    expect(warned(51)[0].count).toBe(51);
    expect(warned(50)).toHaveLength(0);
  });

  it('a partial record applied twice, or an older one after a newer, changes nothing', () => {
    const rules = defaultRules();
    const source = new DetectionEngine(rules, { stage: 'user' });
    const global = new DetectionEngine(rules, { stage: 'global' });
    const first = spread(30, 0, 20, (t, i) => failedLogin(t, `d${i}@example.com`)).flatMap((e) =>
      source.process(e),
    );
    expect(first).toEqual([]); // global rules are only counted in the user stage
    const older = source.drainPartials();
    for (const e of spread(25, 20, 20, (t, i) => failedLogin(t, `e${i}@example.com`))) source.process(e);
    const newer = source.drainPartials();
    expect(global.mergePartial(0, older)).toEqual([]);
    const fired = global.mergePartial(0, newer);
    // It fires in the bucket where the sum crossed 50, counting what was there by then.
    expect(fired.map((a) => `${a.ruleId}:${a.status}`)).toEqual(['failed-logins-global-1m-warning:firing']);
    expect(fired[0].count).toBeGreaterThan(50);
    expect(global.mergePartial(0, newer)).toEqual([]);
    expect(global.mergePartial(0, older)).toEqual([]);
    const snap = JSON.parse(JSON.stringify(global.snapshot()));
    const restored = new DetectionEngine(rules, { stage: 'global' });
    restored.restore(snap);
    expect(restored.mergePartial(0, newer)).toEqual([]);
    expect(restored.snapshot()).toEqual(snap);
  });
});
