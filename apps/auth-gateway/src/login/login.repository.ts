import { Injectable } from '@nestjs/common';
import type { EventEnvelope } from '@vigil/contracts';
import { Db, type Queryable } from '@vigil/database';
import { USER_COLUMNS, type UserRow } from '../accounts/users.repository';
import type { CounterState, ThrottleScope } from '../lockout/lockout.policy';
import { outboxInsert, outboxParams } from '../outbox/outbox.repository';

export interface LoginContext {
  user?: UserRow & { familiar: boolean };
  accountKey: string;
  counters: Map<ThrottleScope, CounterState>;
}

/** What a login reads and writes: users by name, `known_ips`, the counters, and the login's own statement. */
@Injectable()
export class LoginRepository {
  constructor(private readonly db: Db) {}

  /**
   * Everything a login attempt needs before the password check, in one round trip whether or not
   * the user exists (so the two cases cost the same): the user (matched by username or e-mail),
   * whether this address is one they logged in from within `knownIpDays` (an IPv6 address: its
   * /64; `known_ips` holds the same keys the throttles use), and the three failure counters.
   */
  async loadContext(login: string, clientKey: string, knownIpDays: number): Promise<LoginContext> {
    const [row] = await this.db.rows<
      UserRow & {
        familiar: boolean | null;
        counters: Array<{
          scope: ThrottleScope;
          recent: number[];
          last_ms: number;
          blocked_ms: number | null;
          strikes: number;
        }>;
      }
    >(
      `SELECT u.*, c.counters
         FROM (SELECT 1) AS one
         LEFT JOIN LATERAL (
           SELECT ${USER_COLUMNS}, EXISTS (SELECT 1 FROM known_ips k WHERE k.user_id = users.id AND k.ip = $2::inet
                     AND k.last_success_at > now() - make_interval(days => $4::int)) AS familiar
             FROM users WHERE username = $1 OR lower(email) = $1 ORDER BY (username = $1) DESC LIMIT 1) AS u ON true
         CROSS JOIN LATERAL (
           SELECT coalesce(json_agg(json_build_object(
                    'scope', t.scope, 'recent', t.recent, 'strikes', t.strikes,
                    'last_ms', (extract(epoch FROM t.last_failure_at) * 1000)::bigint,
                    'blocked_ms', (extract(epoch FROM t.blocked_until) * 1000)::bigint)), '[]'::json) AS counters
             FROM throttle_state t
            WHERE (t.scope, t.key) IN (('ip', $3), ('account', coalesce('u:' || u.id::text, 'n:' || $1)),
                                       ('account_ip', coalesce('u:' || u.id::text, 'n:' || $1) || '|' || $3))) AS c`,
      [login, clientKey === 'unknown' ? null : clientKey, clientKey, knownIpDays],
    );
    const { counters, ...user } = row;
    const exists = user.id !== null;
    return {
      user: exists ? { ...user, familiar: user.familiar === true } : undefined,
      accountKey: exists ? `u:${user.id}` : `n:${login}`,
      counters: new Map(
        counters.map((c) => [
          c.scope,
          {
            recent: c.recent.map(Number),
            lastFailureAt: Number(c.last_ms),
            blockedUntil: c.blocked_ms === null ? null : Number(c.blocked_ms),
            strikes: c.strikes,
          },
        ]),
      ),
    };
  }

  /**
   * A successful login in one statement, hence one transaction: session, first refresh token,
   * known address (its throttle key: an IPv6 /64), cleared counters, a rehashed password and the
   * AUTH_LOGIN event commit together. A running account-wide wait stays: the owner's success at
   * home does not lift it for others.
   */
  async recordSuccess(s: {
    sessionId: string;
    userId: string;
    sessionMaxSeconds: number;
    ip: string | null;
    userAgent: string | null;
    refreshHash: Buffer;
    refreshTtlSeconds: number;
    accountKey: string;
    clientKey: string;
    rehash: string | null;
    /** The OAuth client the family is issued to (its refresh token is refused to any other). */
    clientId: string;
    event: EventEnvelope;
  }): Promise<void> {
    await this.db.query(
      `WITH s AS (
         INSERT INTO sessions (id, user_id, expires_at, ip, user_agent, client_id)
         VALUES ($1, $2, now() + make_interval(secs => $3), $4::inet, $5, $12)),
       r AS (
         INSERT INTO refresh_tokens (token_hash, session_id, generation, expires_at)
         VALUES ($6, $1, 0, now() + make_interval(secs => least($7, $3)))),
       k AS (
         INSERT INTO known_ips (user_id, ip) SELECT $2, $11::inet WHERE $11::inet IS NOT NULL
         ON CONFLICT (user_id, ip) DO UPDATE SET last_success_at = now()),
       d AS (
         DELETE FROM throttle_state
          WHERE (scope = 'account_ip' AND key = $8)
             OR (scope = 'account' AND key = $9 AND (blocked_until IS NULL OR blocked_until <= now()))),
       h AS (
         UPDATE users SET password_hash = $10 WHERE id = $2 AND $10::text IS NOT NULL)
       ${outboxInsert(13)}`,
      [
        s.sessionId,
        s.userId,
        s.sessionMaxSeconds,
        s.ip,
        s.userAgent,
        s.refreshHash,
        s.refreshTtlSeconds,
        `${s.accountKey}|${s.clientKey}`,
        s.accountKey,
        s.rehash,
        s.clientKey === 'unknown' ? null : s.clientKey,
        s.clientId,
        ...outboxParams([s.event]),
      ],
    );
  }

  /** Addresses a user logged in from are remembered for LOCKOUT_KNOWN_IP_DAYS. */
  async pruneKnownIps(q: Queryable, days: number): Promise<void> {
    await q.query(`DELETE FROM known_ips WHERE last_success_at < now() - make_interval(days => $1::int)`, [
      days,
    ]);
  }
}
