import { DetectionEngine } from './detection-engine';
import { firings, run } from '../testing/engine-runs';
import { onlyRules } from '../testing/test-events';
import { dayAt, DAY_MS, loginFrom } from '../testing/profile-events';
import {
  networkLoginsLearned,
  networksOf,
  type NetworkProfile,
  type NewNetworkCondition,
} from './profile-state';
import type { RuleSet } from './rule-definition';

const RULE = 'login-new-network-per-user';
const rules = () => onlyRules(RULE);
const withCondition = (patch: Partial<NewNetworkCondition>): RuleSet => {
  const set = rules();
  const r = set.rules[0];
  return { ...set, rules: [{ ...r, condition: { ...(r.condition as NewNetworkCondition), ...patch } }] };
};
/** Ten logins (the cold start) over two weeks, alternating home (a /24 whose last octet changes) and office. */
const history = (user = 'u-bob', n = 10) =>
  Array.from({ length: n }, (_, i) =>
    loginFrom(dayAt(i, 9 + (i % 3)), user, i % 2 ? `192.0.2.${10 + i}` : '2001:db8:aa:1::5'),
  );
const later = (hours = 0) => dayAt(12, 10) + hours * 3600_000;

describe('seed 004-50: logins from a network the user has not used', () => {
  it('seed 004-50: after the cold start, a login from a new /24 fires (medium, T1078) naming the network', () => {
    const out = run(rules(), [...history(), loginFrom(later(), 'u-bob', '203.0.113.77')]);
    expect(firings(out)).toMatchObject([
      { ruleId: RULE, severity: 'medium', key: { kind: 'user', value: 'u-bob' }, count: 1 },
    ]);
    expect(firings(out)[0].mitre).toContain('T1078');
    expect(firings(out)[0].summary).toContain('login from new network 203.0.113.0/24 (2 known networks)');
    expect(firings(out)[0].summary).not.toContain('203.0.113.77');
  });

  it('seed 004-50 near miss: another host of a known /24, or of a known IPv6 /48, does not fire', () => {
    expect(run(rules(), [...history(), loginFrom(later(), 'u-bob', '192.0.2.250')])).toEqual([]);
    expect(run(rules(), [...history(), loginFrom(later(), 'u-bob', '2001:db8:aa:ffff::1')])).toEqual([]);
    expect(run(rules(), [...history(), loginFrom(later(), 'u-bob', '::ffff:192.0.2.99')])).toEqual([]);
    // A new IPv6 /48 is a new network.
    expect(
      firings(run(rules(), [...history(), loginFrom(later(), 'u-bob', '2001:db8:ab::1')]))[0].summary,
    ).toContain('new network 2001:db8:ab::/48');
  });

  it('seed 004-50 cold start: the first 10 logins only learn, whatever their networks', () => {
    const tenNetworks = Array.from({ length: 10 }, (_, i) =>
      loginFrom(dayAt(i, 10), 'u-new', `198.51.${i}.1`),
    );
    expect(run(rules(), tenNetworks)).toEqual([]);
    expect(run(rules(), [...history('u-bob', 9), loginFrom(later(), 'u-bob', '203.0.113.77')])).toEqual([]);
  });

  it('seed 004-50 allowlist: a login from an allowlisted range (VPN egress) never fires', () => {
    const vpn = withCondition({ allow: ['203.0.113.0/25', '2001:db8:ff00::/40'] });
    expect(run(vpn, [...history(), loginFrom(later(), 'u-bob', '203.0.113.77')])).toEqual([]);
    expect(run(vpn, [...history(), loginFrom(later(), 'u-bob', '2001:db8:ff12::9')])).toEqual([]);
    // Outside the allowlisted half of the /24: fires.
    expect(firings(run(vpn, [...history(), loginFrom(later(), 'u-bob', '203.0.113.200')]))).toHaveLength(1);
  });

  it('seed 004-50 dedup: the new network is learned (a second login from it is usual); a second new network the same day updates the one alert', () => {
    const out = run(rules(), [
      ...history(),
      loginFrom(later(), 'u-bob', '203.0.113.77'),
      loginFrom(later(1), 'u-bob', '203.0.113.78'),
      loginFrom(later(2), 'u-bob', '203.0.113.79'),
      loginFrom(later(5), 'u-bob', '198.18.7.7'),
    ]);
    expect(out.map((a) => a.status)).toEqual(['firing', 'updated']);
    expect(out[1]).toMatchObject({ count: 2 });
    expect(out[1].summary).toContain('new network 198.18.7.0/24 (3 known networks)');
    // A day after the last new network, the alert resolves; the next new network is a new firing.
    const next = run(rules(), [
      ...history(),
      loginFrom(later(), 'u-bob', '203.0.113.77'),
      loginFrom(later(30), 'u-bob', '192.0.2.1'),
      loginFrom(later(31), 'u-bob', '198.18.7.7'),
    ]);
    expect(next.map((a) => a.status)).toEqual(['firing', 'resolved', 'firing']);
  });

  it('seed 004-50 bounded: at most maxNetworks per user, the least recently used forgotten first', () => {
    const few = withCondition({ maxNetworks: 3 });
    // Learned: office (oldest use), home; then two new ones push the office out.
    const out = run(few, [
      ...history(),
      loginFrom(later(1), 'u-bob', '198.18.1.1'),
      loginFrom(later(2), 'u-bob', '198.18.2.1'),
      loginFrom(later(30), 'u-bob', '2001:db8:aa:1::5'), // office again: forgotten
    ]);
    expect(firings(out)).toHaveLength(1);
    expect(out.filter((a) => a.status !== 'resolved').at(-1)!.summary).toContain(
      'new network 2001:db8:aa::/48',
    );
    const engine = new DetectionEngine(few);
    for (const e of [
      ...history(),
      ...Array.from({ length: 20 }, (_, i) => loginFrom(later(i), 'u-bob', `198.18.${i}.1`)),
    ])
      engine.process(e);
    const [[user, state]] = engine.snapshot().rules[0].profiles! as Array<[string, NetworkProfile]>;
    expect(user).toBe('u-bob');
    expect(networksOf(state)).toEqual(['198.18.19.0/24', '198.18.18.0/24', '198.18.17.0/24']);
  });

  it('seed 004-50: a network unused for learnDays while the user logs in elsewhere is forgotten; after a long absence the old networks are still known', () => {
    const away = Array.from({ length: 8 }, (_, i) => loginFrom(later(24 * 5 * i), 'u-bob', '198.18.5.5'));
    // 35 days logging in from 198.18.5.0/24 only: home (192.0.2.0/24) is forgotten.
    const out = run(rules(), [...history(), ...away, loginFrom(later(24 * 36), 'u-bob', '192.0.2.30')]);
    expect(firings(out).map((a) => a.summary.includes('new network 192.0.2.0/24'))).toContain(true);
    // 25 idle days (less than learnDays), then home: known.
    expect(firings(run(rules(), [...history(), loginFrom(later(24 * 25), 'u-bob', '192.0.2.31')]))).toEqual(
      [],
    );
  });

  it('seed 004-50: logins without a source IP neither fire nor learn', () => {
    const engine = new DetectionEngine(rules());
    for (const e of history()) engine.process(e);
    const e = loginFrom(later(), 'u-bob', '203.0.113.77');
    delete (e as { source?: unknown }).source;
    expect(engine.process(e)).toEqual([]);
    const [[, state]] = engine.snapshot().rules[0].profiles! as Array<[string, NetworkProfile]>;
    expect(networkLoginsLearned(state)).toBe(10);
    expect(networksOf(state).sort()).toEqual(['192.0.2.0/24', '2001:db8:aa::/48']);
  });

  it('seed 004-50: a late login (within the lateness) from a new network still fires at its own time', () => {
    const t = later();
    const out = run(rules(), [
      ...history(),
      loginFrom(t + 20_000, 'u-bob', '192.0.2.1'),
      loginFrom(t, 'u-bob', '203.0.113.77'),
    ]);
    expect(firings(out)).toMatchObject([{ firstSeen: t }]);
    expect(DAY_MS).toBe(86_400_000);
  });
});
