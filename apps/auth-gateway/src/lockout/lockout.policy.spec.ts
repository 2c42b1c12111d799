import {
  clientRulesFrom,
  rateLimitFields,
  refusalOf,
  registerFailure,
  retryAfterSeconds,
  rulesFrom,
  STRIKE_DECAY_MS,
  type CounterState,
  type ThrottleRule,
} from './lockout.policy';

const rules = rulesFrom({
  lockoutThreshold: 5,
  lockoutWindowSeconds: 600,
  lockoutBaseSeconds: 300,
  lockoutMaxSeconds: 3600,
  throttlePairFreeFailures: 3,
  throttlePairBaseSeconds: 10,
  throttleIpFreeFailures: 20,
  throttleIpBaseSeconds: 30,
  throttleMaxSeconds: 900,
});

function failMany(
  rule: ThrottleRule,
  n: number,
  start = 0,
  stepMs = 1000,
): { state?: CounterState; blocks: Array<number | undefined> } {
  let state: CounterState | undefined;
  const blocks: Array<number | undefined> = [];
  for (let i = 0; i < n; i++) {
    const now = start + i * stepMs;
    const out = registerFailure(state, now, rule);
    state = out.next;
    blocks.push(out.blockedUntil === undefined ? undefined : out.blockedUntil - now);
  }
  return { state, blocks };
}

describe('account lockout (seed default: more than 5 failures in 10 minutes)', () => {
  it('locks on the 6th failure inside the window, not before', () => {
    const { blocks } = failMany(rules.account, 6);
    expect(blocks.slice(0, 5)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(blocks[5]).toBe(300_000);
  });

  it('does not lock when the failures are spread over more than the window', () => {
    const { blocks } = failMany(rules.account, 12, 0, 121_000); // 5 per 10 min at most
    expect(blocks.every((b) => b === undefined)).toBe(true);
  });

  it('counts over a sliding window: a burst straddling a fixed boundary still locks', () => {
    let state: CounterState | undefined = registerFailure(undefined, 0, rules.account).next;
    for (const t of [596_000, 597_000, 598_000, 599_000])
      state = registerFailure(state, t, rules.account).next;
    expect(state.blockedUntil).toBeNull();
    const sixth = registerFailure(state, 601_000, rules.account); // 5 in the last 10 min + this one... only 5
    expect(sixth.blockedUntil).toBeUndefined();
    const seventh = registerFailure(sixth.next, 602_000, rules.account); // 6 within [596 s, 602 s]
    expect(seventh.blockedUntil).toBe(602_000 + 300_000);
  });

  it('doubles the lock on each strike up to the cap, and forgives after a quiet day', () => {
    let state: CounterState | undefined;
    const locks: number[] = [];
    let now = 0;
    for (let strike = 0; strike < 6; strike++) {
      for (let i = 0; i < 6; i++) {
        const out = registerFailure(state, now, rules.account);
        state = out.next;
        if (out.blockedUntil) {
          locks.push(out.blockedUntil - now);
          now = out.blockedUntil; // the attacker waits the lock out, then tries again
        } else now += 1000;
      }
    }
    expect(locks).toEqual([300_000, 600_000, 1_200_000, 2_400_000, 3_600_000, 3_600_000]);
    const after = failMany(rules.account, 6, now + STRIKE_DECAY_MS + 1);
    expect(after.blocks[5]).toBe(300_000);
  });

  it('failures during a lock do not extend it', () => {
    const { state } = failMany(rules.account, 6);
    const during = registerFailure(state, 10_000, rules.account);
    expect(during.blockedUntil).toBeUndefined();
    expect(during.next.blockedUntil).toBe(state!.blockedUntil);
  });
});

describe('per (account, IP) and per IP back-off (429 before any lock)', () => {
  it('lets 3 failures through, then waits 10 s, 20 s, 40 s ... capped', () => {
    const { blocks } = failMany(rules.account_ip, 12);
    expect(blocks.slice(0, 3)).toEqual([undefined, undefined, undefined]);
    expect(blocks.slice(3, 8)).toEqual([10_000, 20_000, 40_000, 80_000, 160_000]);
    expect(Math.max(...blocks.filter((b): b is number => b !== undefined))).toBe(900_000);
  });

  it('waits begin before the account lock threshold is reached', () => {
    const pair = failMany(rules.account_ip, 6).blocks;
    const account = failMany(rules.account, 6).blocks;
    expect(pair.findIndex((b) => b !== undefined)).toBeLessThan(account.findIndex((b) => b !== undefined));
  });

  it('allows 20 failures per IP in the window before waiting 30 s', () => {
    const { blocks } = failMany(rules.ip, 22, 0, 10);
    expect(blocks[19]).toBeUndefined();
    expect(blocks[20]).toBe(30_000);
    expect(blocks[21]).toBe(60_000);
  });
});

describe('Retry-After and RateLimit fields', () => {
  it('round up the wait, and report what is left of the window', () => {
    const { state } = failMany(rules.account_ip, 4);
    const now = 3000 + 2500; // 2.5 s after the 4th failure
    expect(retryAfterSeconds(state, now)).toBe(8);
    expect(retryAfterSeconds(state, 3000 + 10_000)).toBe(0);
    expect(rateLimitFields(state, now, rules.account_ip)).toEqual({
      limit: 3,
      remaining: 0,
      resetSeconds: 595,
    });
    expect(rateLimitFields(undefined, now, rules.account_ip)).toEqual({
      limit: 3,
      remaining: 3,
      resetSeconds: 0,
    });
  });
});

describe('refusalOf: which wait answers 429 before the password check', () => {
  const waiting = (until: number): CounterState => ({
    recent: [],
    lastFailureAt: 0,
    blockedUntil: until,
    strikes: 1,
  });
  const counters = (o: Partial<Record<'account' | 'ip' | 'account_ip', CounterState>>) =>
    new Map(Object.entries(o)) as Map<'account' | 'ip' | 'account_ip', CounterState>;

  it('announces the account-wide wait from an unfamiliar address, with the seconds left', () => {
    expect(refusalOf(counters({ account: waiting(300_000) }), 10_500, false)).toEqual({
      scope: 'account',
      retryAfterSeconds: 290,
    });
  });

  it('does not hold the owner up at an address the account knows', () => {
    expect(refusalOf(counters({ account: waiting(300_000) }), 10_000, true)).toBeUndefined();
  });

  it('still applies the per-IP and per-(account, IP) waits at a known address, those first', () => {
    expect(
      refusalOf(counters({ account: waiting(300_000), account_ip: waiting(20_000) }), 10_000, true),
    ).toEqual({ scope: 'account_ip', retryAfterSeconds: 10 });
    expect(
      refusalOf(
        counters({ ip: waiting(40_000), account_ip: waiting(20_000), account: waiting(300_000) }),
        10_000,
        false,
      ),
    ).toEqual({ scope: 'ip', retryAfterSeconds: 30 });
  });

  it('lets the attempt through once every wait is over', () => {
    expect(refusalOf(counters({ account: waiting(300_000) }), 300_000, false)).toBeUndefined();
    expect(refusalOf(counters({}), 0, false)).toBeUndefined();
  });
});

describe('clientRulesFrom: failed OAuth client authentications on the same counters', () => {
  const client = clientRulesFrom({
    lockoutThreshold: 5,
    lockoutWindowSeconds: 600,
    lockoutBaseSeconds: 300,
    lockoutMaxSeconds: 3600,
    throttlePairFreeFailures: 3,
    throttlePairBaseSeconds: 10,
    throttleIpFreeFailures: 20,
    throttleIpBaseSeconds: 30,
    throttleMaxSeconds: 900,
  });

  it('per (client, address) and per address: the password login back-offs, unchanged', () => {
    expect(client.account_ip).toEqual(rules.account_ip);
    expect(client.ip).toEqual(rules.ip);
  });

  it('per client: a back-off with the per-address numbers, never the account lockout a stranger could start', () => {
    expect(client.account).toMatchObject({ scope: 'account', kind: 'backoff', limit: 20, baseMs: 30_000 });
    const { blocks } = failMany(client.account, 22, 0, 10);
    expect(blocks[19]).toBeUndefined();
    expect([blocks[20], blocks[21]]).toEqual([30_000, 60_000]);
  });
});
