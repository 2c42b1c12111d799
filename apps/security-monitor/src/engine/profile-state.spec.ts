import { readFileSync } from 'node:fs';
import type { EventEnvelope } from '@vigil/contracts';
import { DetectionEngine, type EngineSnapshot } from './detection-engine';
import { run } from '../testing/engine-runs';
import { DEFAULT_RULES_FILE, defaultRules, onlyRules } from '../testing/test-events';
import { dayAt, loginFrom, refreshFrom, weekdayHabit } from '../testing/profile-events';
import { networkOf } from './network-prefix';
import { runPartitioned } from './partitioned-run';
import { userOf } from './event-fields';
import { parseOrgHours } from './profile-state';
import { type RuleSet } from './rule-definition';
import { parseRuleSet, RulesFileError } from './rule-validation';

type RuleJson = { id: string; key: string; condition: Record<string, unknown> };
const PROFILE_RULES = ['login-off-hours-per-user', 'login-new-network-per-user'];
const sorted = (xs: EventEnvelope[]) => [...xs].sort((a, b) => a.occurredAt.localeCompare(b.occurredAt));

/** Forty users with a 09:00 habit from their home /24, then a night of logins from elsewhere, and some session reuse. */
function traffic(): EventEnvelope[] {
  const out: EventEnvelope[] = [];
  for (let u = 0; u < 40; u++) {
    out.push(...weekdayHabit(`u-${u}`, 12, 9, (i) => `198.51.${u}.${i + 1}`));
    if (u % 3 === 0) out.push(loginFrom(dayAt(18, 2, u), `u-${u}`, `203.0.113.${u}`));
    if (u % 4 === 0) {
      out.push(loginFrom(dayAt(18, 9, u), `u-${u}`, `198.51.${u}.9`, { session: `fam-${u}` }));
      out.push(refreshFrom(dayAt(18, 9, u + 10), `u-${u}`, `fam-${u}`, `192.0.2.${u}`));
    }
  }
  return sorted(out);
}

describe('behaviour profiles: state, snapshots and memory (seed 004-50, 000-20)', () => {
  it('seed 004-50: the new rules fire on the mixed traffic with all default rules loaded', () => {
    const out = run(defaultRules(), traffic());
    const fired = new Set(out.filter((a) => a.status === 'firing').map((a) => a.ruleId));
    for (const r of [...PROFILE_RULES, 'refresh-token-second-network']) expect(fired).toContain(r);
  });

  it('seed 004-50 / 000-20: in the user stage over 3 partitions (keyed by user) the same alerts fire and resolve as in one engine', () => {
    const events = traffic();
    const firing = (alerts: ReturnType<typeof run>, status: string) =>
      alerts
        .filter((a) => a.status === status)
        .map((a) => `${a.ruleId} ${a.key.value} ${a.at}`)
        .sort();
    const single = run(defaultRules(), events);
    const split = runPartitioned(defaultRules(), events, {
      partitions: 3,
      stepSeconds: 3600,
      keyOf: (e) => userOf(e) ?? e.id,
    });
    expect(firing(split, 'firing')).toEqual(firing(single, 'firing'));
    expect(
      firing(single, 'firing').filter((x) => /login-|refresh-token-second/.test(x)).length,
    ).toBeGreaterThan(20);
  });

  it('seed 004-50: stopping anywhere and resuming from a JSON snapshot keeps the learned profiles: the same alerts as one run', () => {
    const events = traffic();
    const whole = run(defaultRules(), events);
    for (const cut of [100, 300, events.length - 20]) {
      const first = new DetectionEngine(defaultRules());
      const before = events.slice(0, cut).flatMap((e) => first.process(e));
      const saved = JSON.parse(JSON.stringify(first.snapshot())) as EngineSnapshot;
      const second = new DetectionEngine(defaultRules());
      second.restore(saved);
      const after = events.slice(cut).flatMap((e) => second.process(e));
      expect([...before, ...after]).toEqual(whole);
    }
  });

  it('seed 004-50: a snapshot saved before the profile rules existed still loads (they start empty, in cold start)', () => {
    const old: RuleSet = defaultRules();
    old.rules = old.rules.filter(
      (r) => !PROFILE_RULES.includes(r.id) && !r.id.startsWith('refresh-token-second'),
    );
    const before = new DetectionEngine(old);
    for (const e of traffic().slice(0, 200)) before.process(e);
    const snap = JSON.parse(JSON.stringify(before.snapshot())) as EngineSnapshot;
    const now = new DetectionEngine(defaultRules());
    now.restore(snap);
    expect(now.keysByRule()['login-off-hours-per-user']).toBe(0);
    // Learning starts from here: a user's first login (a weekday 10:00) is within the cold start's hours.
    expect(now.process(loginFrom(dayAt(17, 10), 'u-1', '198.51.1.1'))).toEqual([]);
    expect(now.keysByRule()['login-off-hours-per-user']).toBe(1);
  });

  it('seed 004-50 bounded memory: profiles are keys, capped by MONITOR_MAX_KEYS_PER_RULE; idle ones are swept after learnDays', () => {
    const engine = new DetectionEngine(onlyRules(...PROFILE_RULES), { maxKeysPerRule: 500 });
    for (let i = 0; i < 5000; i++)
      engine.process(loginFrom(dayAt(0, 10) + i * 1000, `u-${i}`, `10.1.${i >> 8}.${i & 255}`));
    for (const n of Object.values(engine.keysByRule())) expect(n).toBeLessThanOrEqual(500);
    expect(engine.stats().keysEvicted).toBeGreaterThan(0);
    // 31 days later (learnDays 30), the next sweep forgets every idle profile.
    engine.process(loginFrom(dayAt(31, 10, 30), 'u-late', '10.9.9.9'));
    expect(engine.keysByRule()).toEqual({ 'login-off-hours-per-user': 1, 'login-new-network-per-user': 1 });
  });

  it('seed 004-50: a profile costs a bounded, small amount of state per user (measured in the saved form)', () => {
    const engine = new DetectionEngine(onlyRules(...PROFILE_RULES));
    const events: EventEnvelope[] = [];
    for (let u = 0; u < 1000; u++)
      events.push(
        ...weekdayHabit(
          `0190a1b2-5e55-7000-8000-${String(u).padStart(12, '0')}`,
          20,
          8 + (u % 4),
          (i) => `198.51.${i % 3}.${u % 250}`,
        ),
      );
    for (const e of sorted(events)) engine.process(e);
    expect(engine.stats().lateDropped).toBe(0);
    expect(engine.keysByRule()).toEqual({
      'login-off-hours-per-user': 1000,
      'login-new-network-per-user': 1000,
    });
    // Two profiles per user (24 hours; 3 networks), user ids included: about 260 bytes per user.
    const bytes = JSON.stringify(engine.snapshot()).length;
    expect(bytes / 1000).toBeLessThan(300);
  });
});

describe('profile rule validation names every bad field', () => {
  const text = readFileSync(DEFAULT_RULES_FILE, 'utf8');
  const problems = (f: (rules: RuleJson[]) => void): string[] => {
    const j = JSON.parse(text);
    f(j.rules);
    try {
      parseRuleSet(JSON.stringify(j));
    } catch (err) {
      expect(err).toBeInstanceOf(RulesFileError);
      return (err as RulesFileError).problems;
    }
    throw new Error('the file was accepted');
  };
  const rule = (rules: RuleJson[], id: string) => rules.find((r) => r.id === id)!;

  it('offHours: bad numbers, zone, cold start and key', () => {
    expect(
      problems((rules) => {
        const r = rule(rules, 'login-off-hours-per-user');
        r.key = 'ip';
        Object.assign(r.condition, {
          learnDays: 0,
          minLogins: -1,
          minDays: 3.5,
          minShare: 1,
          toleranceHours: 9,
          timezone: 'Mars/Olympus_Mons',
          coldStart: { hours: '20-20', days: 'mon-fry', lunch: true },
          extra: 1,
        });
      }),
    ).toEqual([
      'rule login-off-hours-per-user.condition.extra: unknown field',
      'rule login-off-hours-per-user.condition.learnDays: an integer 1..365',
      'rule login-off-hours-per-user.condition.minLogins: an integer 0..100000',
      'rule login-off-hours-per-user.condition.minDays: an integer 0..learnDays',
      'rule login-off-hours-per-user.condition.minShare: a fraction 0 < minShare < 1',
      'rule login-off-hours-per-user.condition.toleranceHours: an integer 0..6',
      'rule login-off-hours-per-user.condition.timezone: an IANA time zone such as UTC or Europe/Berlin',
      'rule login-off-hours-per-user.condition.coldStart.lunch: unknown field',
      'rule login-off-hours-per-user.condition.coldStart.hours: "HH-HH", start 00..23, end 01..24 (exclusive), e.g. "07-20"; "22-06" wraps midnight',
      'rule login-off-hours-per-user.condition.coldStart.days: weekdays or ranges of sun, mon, tue, wed, thu, fri, sat, e.g. "mon-fri" or "mon,wed,sat-sun"',
    ]);
    expect(
      problems((rules) => {
        const r = rule(rules, 'login-off-hours-per-user');
        r.condition.coldStart = 'never';
        r.key = 'session';
      }),
    ).toEqual([
      'rule login-off-hours-per-user.condition.coldStart: "silent" or { hours: "07-20", days: "mon-fri" }',
    ]);
    expect(
      problems((rules) => {
        rule(rules, 'login-off-hours-per-user').key = 'user_ip';
      }),
    ).toEqual(['rule login-off-hours-per-user.key: a offHours profile is per user: key user, not user_ip']);
  });

  it('newNetwork: bad allowlist entries and sizes', () => {
    expect(
      problems((rules) => {
        Object.assign(rule(rules, 'login-new-network-per-user').condition, {
          maxNetworks: 0,
          allow: ['10.0.0.0/33', 'vpn.example.com', '2001:db8::/48', 7],
        });
      }),
    ).toEqual([
      'rule login-new-network-per-user.condition.maxNetworks: an integer 1..256',
      'rule login-new-network-per-user.condition.allow: 10.0.0.0/33: bad prefix length',
      'rule login-new-network-per-user.condition.allow: vpn.example.com is not an IP or CIDR',
      'rule login-new-network-per-user.condition.allow: 7 is not an IP or CIDR',
    ]);
  });

  it('session key and the network / user_agent distinct fields are accepted; unknown fields are not', () => {
    expect(
      problems((rules) => {
        rule(rules, 'refresh-token-second-client').condition.field = 'device';
        rule(rules, 'refresh-token-second-network').key = 'family';
      }),
    ).toEqual([
      'rule refresh-token-second-network.key: one of user, ip, user_ip, global, route, password_fingerprint, session',
      'rule refresh-token-second-client.condition.field: one of user, ip, network, user_agent',
    ]);
  });
});

describe('network prefixes and organisation hours', () => {
  it('IPv4 /24, IPv6 /48 (compressed forms expanded), IPv4-mapped IPv6 as IPv4', () => {
    expect(networkOf('203.0.113.77')).toBe('203.0.113.0/24');
    expect(networkOf('2001:db8:7:1::5')).toBe('2001:db8:7::/48');
    expect(networkOf('2001:DB8:0007:ffff:0:0:0:1')).toBe('2001:db8:7::/48');
    expect(networkOf('2001:db8::1')).toBe('2001:db8:0::/48');
    expect(networkOf('2001::7:0:0:0:1')).toBe('2001:0:0::/48');
    expect(networkOf('1::3:4:5:6:7:8')).toBe('1:0:3::/48');
    expect(networkOf('::1')).toBe('0:0:0::/48');
    expect(networkOf('fe80::1%eth0')).toBe('fe80:0:0::/48');
    expect(networkOf('::ffff:198.51.100.9')).toBe('198.51.100.0/24');
    expect(networkOf('64:ff9b::198.51.100.9')).toBe('64:ff9b:0::/48');
    expect(networkOf('not-an-ip')).toBeUndefined();
  });

  it('organisation hours: end exclusive, wrapping midnight and weekday ranges', () => {
    const day = parseOrgHours({ hours: '07-20', days: 'mon-fri' });
    expect(day.hours.flatMap((on, h) => (on ? [h] : []))).toEqual([
      7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19,
    ]);
    expect(day.days).toEqual([false, true, true, true, true, true, false]);
    const night = parseOrgHours({ hours: '22-06', days: 'fri-mon,wed' });
    expect(night.hours.flatMap((on, h) => (on ? [h] : []))).toEqual([0, 1, 2, 3, 4, 5, 22, 23]);
    expect(night.days).toEqual([true, true, false, true, false, true, true]);
  });
});
