/*
 * Failure counting for logins: pure functions over one counter (per account, per IP, or per
 * (account, IP)), so the thresholds are unit-tested without a database. The repository applies
 * them under a row lock, so every gateway instance sees the same counts.
 */

export type ThrottleScope = 'account' | 'ip' | 'account_ip';

export interface CounterState {
  /** Epoch ms of the failures still inside the sliding window, oldest first (bounded). */
  recent: number[];
  lastFailureAt: number;
  /** Epoch ms; attempts before it are refused with 429 (for the account scope: from unfamiliar addresses). */
  blockedUntil: number | null;
  /** Locks imposed so far (account scope): each one lasts twice as long as the last. */
  strikes: number;
}

export interface ThrottleRule {
  scope: ThrottleScope;
  /** Failures are counted over a sliding window this long ("more than 5 in 10 minutes"). */
  windowMs: number;
  /**
   * `backoff`: after `limit` failures in the window each further failure imposes a wait that
   * doubles (429). `lockout`: more than `limit` failures start an account-wide wait (429 from
   * addresses the account does not know) that doubles per strike.
   */
  kind: 'backoff' | 'lockout';
  limit: number;
  baseMs: number;
  maxMs: number;
}

/** A quiet day forgives earlier strikes, so the growing wait does not grow forever. */
export const STRIKE_DECAY_MS = 24 * 3600_000;
/** Failures remembered beyond the limit (back-off exponent); bounds the row size. */
const EXTRA_REMEMBERED = 16;

export interface FailureOutcome {
  next: CounterState;
  /** Set when this failure imposed a block (a wait or a lock) lasting until this instant. */
  blockedUntil?: number;
}

export function registerFailure(
  state: CounterState | undefined,
  now: number,
  rule: ThrottleRule,
): FailureOutcome {
  const strikes = state && now - state.lastFailureAt < STRIKE_DECAY_MS ? state.strikes : 0;
  const recent = [...(state?.recent ?? []).filter((t) => now - t < rule.windowMs), now].slice(
    -(rule.limit + EXTRA_REMEMBERED),
  );
  const blockedUntil = state?.blockedUntil && state.blockedUntil > now ? state.blockedUntil : null;
  const base: CounterState = { recent, lastFailureAt: now, blockedUntil, strikes };
  const excess = recent.length - rule.limit;
  if (rule.kind === 'backoff') {
    if (excess <= 0) return { next: base };
    const wait = Math.min(rule.baseMs * 2 ** (excess - 1), rule.maxMs);
    const until = Math.max(blockedUntil ?? 0, now + wait);
    return { next: { ...base, blockedUntil: until }, blockedUntil: until };
  }
  if (excess <= 0 || blockedUntil !== null) return { next: base };
  const until = now + Math.min(rule.baseMs * 2 ** strikes, rule.maxMs);
  // The count starts again after a lock: the next lock needs as many failures, and lasts longer.
  return {
    next: { recent: [], lastFailureAt: now, blockedUntil: until, strikes: strikes + 1 },
    blockedUntil: until,
  };
}

/** The stage that refuses an attempt before any password check, and for how long. */
export interface Refusal {
  scope: ThrottleScope;
  retryAfterSeconds: number;
}

/**
 * Which wait, if any, answers this attempt with 429 before the password is looked at: per IP, per
 * (account, IP), then the account-wide wait, which does not apply from an address the account
 * logged in from recently (`familiar`), so an attacker elsewhere cannot keep the owner out. The
 * same for unknown usernames (their counters are kept under the attempted name), so a 429 says
 * nothing about whether the account exists.
 */
export function refusalOf(
  counters: ReadonlyMap<ThrottleScope, CounterState>,
  now: number,
  familiar: boolean,
): Refusal | undefined {
  const order: ThrottleScope[] = familiar ? ['ip', 'account_ip'] : ['ip', 'account_ip', 'account'];
  for (const scope of order) {
    const wait = retryAfterSeconds(counters.get(scope), now);
    if (wait > 0) return { scope, retryAfterSeconds: wait };
  }
  return undefined;
}

/** Whole seconds until the counter allows another attempt (0: allowed now). */
export function retryAfterSeconds(
  state: Pick<CounterState, 'blockedUntil'> | undefined,
  now: number,
): number {
  if (!state?.blockedUntil || state.blockedUntil <= now) return 0;
  return Math.ceil((state.blockedUntil - now) / 1000);
}

/** The IETF RateLimit fields for a counter: failures left in the window, and when it frees up. */
export function rateLimitFields(
  state: CounterState | undefined,
  now: number,
  rule: ThrottleRule,
): { limit: number; remaining: number; resetSeconds: number } {
  const live = (state?.recent ?? []).filter((t) => now - t < rule.windowMs);
  const windowReset = live.length ? Math.ceil((live[0] + rule.windowMs - now) / 1000) : 0;
  return {
    limit: rule.limit,
    remaining: retryAfterSeconds(state, now) > 0 ? 0 : Math.max(0, rule.limit - live.length),
    resetSeconds: Math.max(windowReset, retryAfterSeconds(state, now)),
  };
}

export interface LockoutSettings {
  lockoutThreshold: number;
  lockoutWindowSeconds: number;
  lockoutBaseSeconds: number;
  lockoutMaxSeconds: number;
  throttlePairFreeFailures: number;
  throttlePairBaseSeconds: number;
  throttleIpFreeFailures: number;
  throttleIpBaseSeconds: number;
  throttleMaxSeconds: number;
}

/** The three rules from configuration: the per-(account, IP) and per-IP waits come before the account-wide one. */
export function rulesFrom(c: LockoutSettings): Record<ThrottleScope, ThrottleRule> {
  const windowMs = c.lockoutWindowSeconds * 1000;
  return {
    account_ip: {
      scope: 'account_ip',
      windowMs,
      kind: 'backoff',
      limit: c.throttlePairFreeFailures,
      baseMs: c.throttlePairBaseSeconds * 1000,
      maxMs: c.throttleMaxSeconds * 1000,
    },
    ip: {
      scope: 'ip',
      windowMs,
      kind: 'backoff',
      limit: c.throttleIpFreeFailures,
      baseMs: c.throttleIpBaseSeconds * 1000,
      maxMs: c.throttleMaxSeconds * 1000,
    },
    account: {
      scope: 'account',
      windowMs,
      kind: 'lockout',
      limit: c.lockoutThreshold,
      baseMs: c.lockoutBaseSeconds * 1000,
      maxMs: c.lockoutMaxSeconds * 1000,
    },
  };
}

/**
 * The rules for OAuth client authentication failures, over the same counters: per (client, client
 * address) the per-(account, IP) back-off, per address the per-IP back-off (the login's own counter:
 * guessing secrets and passwords draw on one budget), and per client, from every address, the per-IP
 * back-off's numbers. A back-off, not the account lockout: a client is a service, and a lockout any
 * stranger can start would take it offline (a secret proven within the last minute passes anyway).
 */
export function clientRulesFrom(c: LockoutSettings): Record<ThrottleScope, ThrottleRule> {
  const rules = rulesFrom(c);
  return { account_ip: rules.account_ip, ip: rules.ip, account: { ...rules.ip, scope: 'account' } };
}
