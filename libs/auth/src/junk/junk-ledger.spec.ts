import { JunkLedger } from './junk-ledger';

const S = { reason: 'bad_signature', route: '/api/v1/auth/me' };
const ledger = (o: Partial<ConstructorParameters<typeof JunkLedger>[0]> = {}) =>
  new JunkLedger({ windowMs: 60_000, throttleThreshold: 1000, maxClients: 100, ...o });

describe('JunkLedger', () => {
  it('records the first junk request of a client in full and counts the rest into one aggregate at window end', () => {
    const l = ledger();
    expect(l.record('203.0.113.7', 'bearer_token', 0, S)).toBe('full');
    for (let i = 1; i < 500; i++)
      expect(
        l.record('203.0.113.7', 'bearer_token', i * 10, { ...S, reason: i % 2 ? 'malformed' : 'expired' }),
      ).toBe('counted');
    expect(l.collect(59_999)).toEqual([]);
    expect(l.collect(60_000)).toEqual([
      {
        kind: 'bearer_token',
        scope: 'ip',
        address: '203.0.113.7',
        count: 499,
        firstSeen: 10,
        lastSeen: 4990,
        reasons: ['malformed', 'expired'],
        routes: ['/api/v1/auth/me'],
      },
    ]);
  });

  it('keeps kinds and clients apart; an IPv6 /64 is one client, an IPv4-mapped address is its IPv4 client', () => {
    const l = ledger();
    expect(l.record('2001:db8:1:2::1', 'bearer_token', 0, S)).toBe('full');
    expect(l.record('2001:db8:1:2::99', 'bearer_token', 1, S)).toBe('counted');
    expect(l.record('2001:db8:1:3::1', 'bearer_token', 2, S)).toBe('full');
    expect(l.record('2001:db8:1:2::1', 'refresh_token', 3, S)).toBe('full');
    expect(l.record('203.0.113.7', 'blocked_ip', 4, S)).toBe('full');
    expect(l.record('::ffff:203.0.113.7', 'blocked_ip', 5, S)).toBe('counted');
    expect(l.collect(70_000).map((a) => [a.kind, a.scope, a.address, a.count])).toEqual([
      ['bearer_token', 'ipv6_64', '2001:db8:1:2::99', 1],
      ['blocked_ip', 'ip', '::ffff:203.0.113.7', 1],
    ]);
  });

  it('under continuing junk, the next window counts on without another full event; after a quiet window the client starts afresh', () => {
    const l = ledger();
    l.record('203.0.113.7', 'bearer_token', 0, S);
    l.record('203.0.113.7', 'bearer_token', 1, S);
    expect(l.collect(60_000)).toHaveLength(1);
    expect(l.record('203.0.113.7', 'bearer_token', 61_000, S)).toBe('counted');
    expect(l.collect(120_000)).toMatchObject([{ count: 1 }]);
    expect(l.collect(180_000)).toEqual([]); // a window with nothing counted: forgotten
    expect(l.record('203.0.113.7', 'bearer_token', 181_000, S)).toBe('full');
  });

  it('throttles a client at the threshold until its window ends; others are unaffected; throttled requests do not extend it', () => {
    const l = ledger({ throttleThreshold: 3 });
    for (let i = 0; i < 2; i++) l.record('203.0.113.7', 'bearer_token', i, S);
    expect(l.retryAfter('203.0.113.7', 10)).toBeUndefined();
    l.record('203.0.113.7', 'refresh_token', 1000, S);
    expect(l.retryAfter('203.0.113.7', 1000)).toBe(59);
    expect(l.retryAfter('203.0.113.8', 1000)).toBeUndefined();
    for (let i = 0; i < 10; i++) l.record('203.0.113.7', 'throttled', 2000 + i, S);
    expect(l.retryAfter('203.0.113.7', 30_500)).toBe(30);
    expect(l.retryAfter('203.0.113.7', 60_000)).toBeUndefined();
  });

  it('beyond the tracking cap, junk goes to one global bucket: no full event, no throttle, one aggregate per kind', () => {
    const l = ledger({ maxClients: 2, throttleThreshold: 1 });
    expect(l.record('198.51.100.1', 'bearer_token', 0, S)).toBe('full');
    expect(l.record('198.51.100.2', 'bearer_token', 0, S)).toBe('full');
    for (let i = 3; i < 103; i++) expect(l.record(`198.51.100.${i}`, 'bearer_token', i, S)).toBe('counted');
    expect(l.record(undefined, 'bearer_token', 200, S)).toBe('counted');
    expect(l.trackedClients).toBe(2);
    expect(l.overflowed).toBe(100);
    expect(l.retryAfter('198.51.100.50', 300)).toBeUndefined();
    const out = l.collect(60_003);
    expect(out).toEqual([expect.objectContaining({ kind: 'bearer_token', scope: 'global', count: 101 })]);
    expect(out[0].address).toBeUndefined();
  });

  it('samples of reasons and routes stay bounded', () => {
    const l = ledger();
    l.record('203.0.113.7', 'blocked_ip', 0, S);
    for (let i = 0; i < 100; i++)
      l.record('203.0.113.7', 'blocked_ip', i, { reason: `r${i}`, route: `/api/x${i}` });
    const [a] = l.collect(60_000);
    expect(a.count).toBe(100);
    expect(a.reasons).toHaveLength(8);
    expect(a.routes).toHaveLength(8);
  });

  it('drain (a graceful stop) hands over open windows; what comes after is recorded in full and never throttled', () => {
    const l = ledger({ throttleThreshold: 2 });
    l.record('203.0.113.7', 'bearer_token', 0, S);
    l.record('203.0.113.7', 'bearer_token', 1, S);
    l.record('203.0.113.9', 'blocked_ip', 2, S);
    expect(l.drain()).toMatchObject([{ kind: 'bearer_token', count: 1 }]);
    expect(l.record('203.0.113.7', 'bearer_token', 3, S)).toBe('full');
    expect(l.retryAfter('203.0.113.7', 3)).toBeUndefined();
    expect(l.drain()).toEqual([]);
  });
});
