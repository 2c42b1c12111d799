import { createEvent, type EventEnvelope } from '@vigil/contracts';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type RuleSet } from '../engine/rule-definition';
import { parseRuleSet } from '../engine/rule-validation';

/*
 * Event builders for rule fixtures, specs and the benchmark: valid contract events at a given
 * event time (ms), so minutes of traffic are simulated in milliseconds.
 */

export const T0 = Date.parse('2025-01-15T09:00:00.000Z');
export const sec = (s: number): number => T0 + s * 1000;
const at = (t: number) => new Date(t).toISOString();

export const DEFAULT_RULES_FILE = path.join(__dirname, '..', '..', 'rules', 'default.rules.json');
export const defaultRules = (): RuleSet => parseRuleSet(readFileSync(DEFAULT_RULES_FILE, 'utf8'));

/** Only the named rules of the default file (a fixture for one rule is not muddied by the others). */
export const onlyRules = (...ids: string[]): RuleSet => {
  const all = defaultRules();
  return { ...all, rules: all.rules.filter((r) => ids.includes(r.id)) };
};

export function failedLogin(
  t: number,
  username: string,
  ip = '198.51.100.10',
  repeated = false,
): EventEnvelope {
  return createEvent('FAILED_AUTH_LOGIN', {
    producer: 'auth-gateway',
    occurredAt: at(t),
    subject: { username },
    source: { ip },
    outcome: 'failure',
    reason: 'invalid_credentials',
    attributes: { repeated },
  });
}

export function login(t: number, userId: string, ip = '198.51.100.20'): EventEnvelope {
  return createEvent('AUTH_LOGIN', {
    producer: 'auth-gateway',
    occurredAt: at(t),
    subject: { userId },
    source: { ip },
    outcome: 'success',
    attributes: {},
  });
}

export function refresh(t: number, userId: string): EventEnvelope {
  return createEvent('TOKEN_REFRESH', {
    producer: 'auth-gateway',
    occurredAt: at(t),
    subject: { userId },
    outcome: 'success',
    attributes: { familyId: `fam-${userId}` },
  });
}

export function refreshReuse(t: number, userId: string): EventEnvelope {
  return createEvent('TOKEN_REFRESH_REUSE', {
    producer: 'auth-gateway',
    occurredAt: at(t),
    subject: { userId },
    source: { ip: '203.0.113.66' },
    outcome: 'denied',
    reason: 'refresh_token_reused',
    attributes: { familyId: `fam-${userId}`, familyRevoked: true },
  });
}

export function tokenInvalid(t: number, ip: string): EventEnvelope {
  return createEvent('TOKEN_VALIDATION_FAILED', {
    producer: 'auth-gateway',
    occurredAt: at(t),
    source: { ip },
    subject: { username: 'anonymous' },
    outcome: 'failure',
    attributes: { failure: 'bad_signature' },
  });
}

/** A failed OAuth client authentication (a wrong secret) from `ip`. */
export function clientAuthFailed(t: number, ip: string, clientId = 'backend-web'): EventEnvelope {
  return createEvent('CLIENT_AUTH_FAILED', {
    producer: 'auth-gateway',
    occurredAt: at(t),
    source: { ip },
    outcome: 'failure',
    reason: 'bad_secret',
    attributes: { clientId, method: 'basic', endpoint: 'token' },
  });
}

export function roleChanged(t: number, userId: string, before: string[], after: string[]): EventEnvelope {
  return createEvent('ROLE_CHANGED', {
    producer: 'auth-gateway',
    occurredAt: at(t),
    actor: { dbRole: 'postgres' },
    subject: { userId },
    outcome: 'success',
    attributes: { before, after, targetUserId: userId, channel: 'db_trigger' },
  });
}

export function rateLimited(t: number, ip: string, route = '/api/v1/auth/token'): EventEnvelope {
  return createEvent('RATE_LIMITED', {
    producer: 'auth-gateway',
    occurredAt: at(t),
    subject: { username: 'someone' },
    source: { ip },
    outcome: 'denied',
    attributes: { route, scope: 'ip', retryAfterSeconds: 30 },
  });
}

/**
 * A failed login carrying the gateway's password fingerprint (`<epoch>.<22 base64url chars>`).
 * The attribute is added after the contract check, so these fixtures do not depend on when the
 * contracts learn it; the engine reads it as the decoder hands it over.
 */
export function failedLoginWithFingerprint(
  t: number,
  username: string,
  ip: string,
  fingerprint: string,
  repeated = false,
): EventEnvelope {
  const e = failedLogin(t, username, ip, repeated);
  return { ...e, attributes: { ...e.attributes, passwordFingerprint: fingerprint } };
}

/** A well-formed fingerprint for fixtures: epoch `epoch`, 22 base64url characters derived from `seed`. */
export function fingerprintOf(seed: string, epoch = 20458): string {
  const body = Buffer.from(seed.padEnd(16, '#').slice(0, 16), 'utf8').toString('base64url');
  return `${epoch}.${body}`;
}

export function serverError(t: number): EventEnvelope {
  return createEvent('SERVER_ERROR', {
    producer: 'auth-gateway',
    occurredAt: at(t),
    subject: { username: 'someone' },
    outcome: 'error',
    attributes: { route: '/api/v1/auth/token', method: 'POST', status: 503 },
  });
}

/** The gateway's aggregate of `count` junk requests of one kind from one client (issue 14 item 10). */
export function junkAggregate(
  t: number,
  ip: string | undefined,
  count: number,
  kind: 'bearer_token' | 'refresh_token' | 'blocked_ip' | 'throttled' = 'bearer_token',
): EventEnvelope {
  const aggregates =
    kind === 'blocked_ip'
      ? 'ACCESS_DENIED'
      : kind === 'throttled'
        ? 'RATE_LIMITED'
        : 'TOKEN_VALIDATION_FAILED';
  return createEvent('JUNK_REQUESTS_AGGREGATED', {
    producer: 'auth-gateway',
    occurredAt: at(t),
    ...(ip ? { source: { ip } } : {}),
    outcome: 'denied',
    reason: 'aggregated',
    attributes: {
      kind,
      aggregates,
      count,
      firstSeenAt: at(t - 50_000),
      lastSeenAt: at(t - 1000),
      windowSeconds: 60,
      scope: ip ? 'ip' : 'global',
      reasons: ['bad_signature'],
      routes: ['/api/v1/auth/me'],
    },
  });
}

/** `n` events spread evenly over [from, from + spanSeconds). */
export function spread(
  n: number,
  fromSec: number,
  spanSeconds: number,
  make: (t: number, i: number) => EventEnvelope,
): EventEnvelope[] {
  return Array.from({ length: n }, (_, i) => make(sec(fromSec + (spanSeconds * i) / n), i));
}

/** A failed login built without validation: for volume (memory and speed), not for fixtures. */
export function rawFailedLogin(t: number, username: string, ip: string, id: string): EventEnvelope {
  return {
    id,
    type: 'FAILED_AUTH_LOGIN',
    schemaVersion: 1,
    occurredAt: at(t),
    producer: 'auth-gateway',
    subject: { username },
    source: { ip },
    outcome: 'failure',
    reason: 'invalid_credentials',
    attributes: {},
  };
}

export function accessDenied(
  t: number,
  userId: string,
  requiredRoles: string[],
  route = '/api/v1/admin/users',
): EventEnvelope {
  return createEvent('ACCESS_DENIED', {
    producer: 'auth-gateway',
    occurredAt: at(t),
    actor: { userId, roles: ['viewer'] },
    subject: { userId },
    source: { ip: '198.51.100.30' },
    outcome: 'denied',
    reason: 'forbidden',
    attributes: { route, method: 'GET', requiredRoles },
  });
}
