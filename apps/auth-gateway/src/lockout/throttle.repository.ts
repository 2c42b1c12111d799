import type { Sql } from '../db/db';
import {
  registerFailure,
  type CounterState,
  type FailureOutcome,
  type ThrottleRule,
  type ThrottleScope,
} from './lockout.policy';

export interface CounterKey {
  scope: ThrottleScope;
  key: string;
}

interface Row {
  scope: ThrottleScope;
  key: string;
  recent: string[];
  last_ms: string;
  blocked_ms: string | null;
  strikes: number;
}

function toState(r: Row): CounterState {
  return {
    recent: r.recent.map(Number),
    lastFailureAt: Number(r.last_ms),
    blockedUntil: r.blocked_ms === null ? null : Number(r.blocked_ms),
    strikes: r.strikes,
  };
}

const COLUMNS = `scope, key, recent, (extract(epoch FROM last_failure_at) * 1000)::bigint AS last_ms,
                 (extract(epoch FROM blocked_until) * 1000)::bigint AS blocked_ms, strikes`;

/**
 * Counts one failure on each counter under row locks (taken in a fixed order, so concurrent
 * failures neither deadlock nor lose counts) and returns what each rule decided.
 */
export async function recordFailure(
  sql: Sql,
  keys: CounterKey[],
  rules: Record<ThrottleScope, ThrottleRule>,
  now: number,
): Promise<Map<ThrottleScope, FailureOutcome>> {
  const ordered = [...keys].sort((a, b) => (a.scope + a.key).localeCompare(b.scope + b.key));
  // ON CONFLICT DO UPDATE locks an existing row and returns it: insert-or-lock in one round trip.
  const rows = await sql.query<Row>(
    `INSERT INTO throttle_state AS t (scope, key)
     SELECT * FROM unnest($1::text[], $2::text[])
     ON CONFLICT (scope, key) DO UPDATE SET scope = t.scope
     RETURNING ${COLUMNS}`,
    [ordered.map((k) => k.scope), ordered.map((k) => k.key)],
  );
  const outcomes = new Map<ThrottleScope, FailureOutcome>();
  for (const row of rows) {
    const fresh = row.recent.length === 0 && row.strikes === 0 && row.blocked_ms === null;
    outcomes.set(row.scope, registerFailure(fresh ? undefined : toState(row), now, rules[row.scope]));
  }
  const updates = rows.map((r) => {
    const next = outcomes.get(r.scope)!.next;
    return {
      scope: r.scope,
      key: r.key,
      recent: next.recent,
      last: next.lastFailureAt,
      blocked: next.blockedUntil,
      strikes: next.strikes,
    };
  });
  await sql.query(
    `UPDATE throttle_state t
        SET recent = ARRAY(SELECT jsonb_array_elements_text(v.recent)::bigint),
            last_failure_at = to_timestamp(v.last / 1000.0),
            blocked_until = CASE WHEN v.blocked IS NULL THEN NULL ELSE to_timestamp(v.blocked / 1000.0) END,
            strikes = v.strikes
       FROM jsonb_to_recordset($1::jsonb) AS v(scope text, key text, recent jsonb, last bigint, blocked bigint, strikes int)
      WHERE t.scope = v.scope AND t.key = v.key`,
    [JSON.stringify(updates)],
  );
  return outcomes;
}

/**
 * Keys of one login attempt: the account (user id when it exists, else the attempted name), the
 * client (`throttleKeyOf`: the IPv4 address or the IPv6 /64), and both.
 */
export function counterKeys(accountKey: string, clientKey: string): CounterKey[] {
  return [
    { scope: 'account', key: accountKey },
    { scope: 'account_ip', key: `${accountKey}|${clientKey}` },
    { scope: 'ip', key: clientKey },
  ];
}

/** Forget an account's failures (admin unlock, password reset): its own counter and every (account, IP) pair. */
export async function clearAccountCounters(sql: Sql, accountKey: string): Promise<number> {
  return sql.exec(
    `DELETE FROM throttle_state WHERE (scope = 'account' AND key = $1) OR (scope = 'account_ip' AND key LIKE $2)`,
    [accountKey, `${accountKey.replace(/[\\%_]/g, (c) => `\\${c}`)}|%`],
  );
}
