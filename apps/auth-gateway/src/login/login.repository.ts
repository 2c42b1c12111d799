import type { Sql } from '../db/db';
import type { CounterState, ThrottleScope } from '../lockout/lockout.policy';
import { USER_COLUMNS, type UserRow } from '../users/users.repository';

export interface LoginContext {
  user?: UserRow & { familiar: boolean };
  accountKey: string;
  counters: Map<ThrottleScope, CounterState>;
}

/**
 * Everything a login attempt needs before the password check, in one round trip whether or not
 * the user exists (so the two cases cost the same): the user (matched by username or e-mail),
 * whether this address is one they logged in from within `knownIpDays` (an IPv6 address: its
 * /64; `known_ips` holds the same keys the throttles use), and the three failure counters.
 */
export async function loadLoginContext(
  sql: Sql,
  login: string,
  clientKey: string,
  knownIpDays: number,
): Promise<LoginContext> {
  const [row] = await sql.query<
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
