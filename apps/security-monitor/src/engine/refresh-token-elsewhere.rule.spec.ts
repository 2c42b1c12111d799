import { firings, run } from '../testing/engine-runs';
import { onlyRules, refresh } from '../testing/test-events';
import { BROWSER, CURL, dayAt, DAY_MS, loginFrom, refreshFrom } from '../testing/profile-events';

const NET = 'refresh-token-second-network';
const CLIENT = 'refresh-token-second-client';
const FAM = '0190a1b2-5e55-7000-8000-00000000f4a1';
const t0 = dayAt(2, 10);
const min = (m: number) => t0 + m * 60_000;
/** A login opening family FAM from a home network, then refreshes every 10 minutes from the same place. */
const session = (n = 5, ip = '198.51.100.20') => [
  loginFrom(t0, 'u-eve', ip, { session: FAM }),
  ...Array.from({ length: n }, (_, i) => refreshFrom(min(10 * (i + 1)), 'u-eve', FAM, ip, BROWSER, i + 1)),
];

describe('seed 000-20: a refresh-token family used from a second network or client within its lifetime', () => {
  it('seed 000-20: a refresh from another network fires refresh-token-second-network (medium) on the session key', () => {
    const out = run(onlyRules(NET, CLIENT), [
      ...session(),
      refreshFrom(min(55), 'u-eve', FAM, '203.0.113.50', BROWSER, 6),
    ]);
    expect(firings(out)).toMatchObject([
      { ruleId: NET, severity: 'medium', key: { kind: 'session', value: FAM }, count: 7, threshold: 1 },
    ]);
    expect(firings(out)[0].mitre).toContain('T1550.001');
    expect(firings(out)[0].summary).toContain('2 distinct networks (threshold > 1)');
  });

  it('seed 000-20: a refresh from another client (curl instead of the browser) fires refresh-token-second-client (high)', () => {
    const out = run(onlyRules(NET, CLIENT), [
      ...session(),
      refreshFrom(min(55), 'u-eve', FAM, '198.51.100.20', CURL, 6),
    ]);
    expect(firings(out)).toMatchObject([
      { ruleId: CLIENT, severity: 'high', key: { kind: 'session', value: FAM } },
    ]);
    // The summary counts clients; it never quotes a user agent.
    expect(firings(out)[0].summary).not.toContain('curl');
  });

  it('seed 000-20: both at once (another network and another client) raise both alerts, once each', () => {
    const out = run(onlyRules(NET, CLIENT), [
      ...session(),
      refreshFrom(min(55), 'u-eve', FAM, '203.0.113.50', CURL, 6),
      refreshFrom(min(56), 'u-eve', FAM, '203.0.113.51', CURL, 7),
    ]);
    expect(
      firings(out)
        .map((a) => a.ruleId)
        .sort(),
    ).toEqual([CLIENT, NET]);
  });

  it('seed 000-20 near miss: a phone moving within its carrier /24, a browser updating itself, another family of the same user', () => {
    const rules = onlyRules(NET, CLIENT);
    expect(
      run(rules, [...session(), refreshFrom(min(55), 'u-eve', FAM, '198.51.100.201', BROWSER, 6)]),
    ).toEqual([]);
    const updated = BROWSER.replace('Chrome/120.0.0.0', 'Chrome/121.0.6167.85');
    expect(
      run(rules, [...session(), refreshFrom(min(55), 'u-eve', FAM, '198.51.100.20', updated, 6)]),
    ).toEqual([]);
    // A second login (its own family) from the office with another browser is not token reuse.
    expect(
      run(rules, [
        ...session(),
        loginFrom(min(30), 'u-eve', '192.0.2.44', { session: 'fam-office', userAgent: CURL }),
        refreshFrom(min(40), 'u-eve', 'fam-office', '192.0.2.44', CURL),
      ]),
    ).toEqual([]);
  });

  it("seed 000-20: the family's first network comes from its AUTH_LOGIN (familyId = session id): the first refresh from elsewhere fires", () => {
    const out = run(onlyRules(NET), [
      loginFrom(t0, 'u-eve', '198.51.100.20', { session: FAM }),
      refreshFrom(min(10), 'u-eve', FAM, '203.0.113.50'),
    ]);
    expect(firings(out)).toMatchObject([{ ruleId: NET, count: 2, firstSeen: t0, lastSeen: min(10) }]);
  });

  it('seed 000-20: the window is a day (the engine maximum; the refresh lifetime is 14 days): a second network 25 hours apart does not fire', () => {
    const out = run(onlyRules(NET), [
      loginFrom(t0, 'u-eve', '198.51.100.20', { session: FAM }),
      refreshFrom(t0 + DAY_MS + 3600_000, 'u-eve', FAM, '203.0.113.50'),
    ]);
    expect(out).toEqual([]);
  });

  it('seed 000-20: refreshes without an IP or user agent, and events without a family, are not counted', () => {
    // test-events' refresh(): no source at all.
    expect(run(onlyRules(NET, CLIENT), [...session(2), refresh(min(40), 'u-eve')])).toEqual([]);
    const bare = loginFrom(min(50), 'u-eve', '203.0.113.9');
    expect(run(onlyRules(NET, CLIENT), [...session(2), bare])).toEqual([]);
  });
});
