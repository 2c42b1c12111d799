import { Injectable } from '@nestjs/common';
import type { Queryable } from '@vigil/database';
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

/**
 * Keys of one OAuth client authentication: the client (`c:` + client_id as presented, so unknown
 * ids are counted and answered alike), (client, client address), and the client address itself,
 * the same `ip` counter failed logins count on.
 */
export function clientCounterKeys(clientId: string, clientKey: string): CounterKey[] {
  const client = `c:${clientId}`;
  return [
    { scope: 'account', key: client },
    { scope: 'account_ip', key: `${client}|${clientKey}` },
    { scope: 'ip', key: clientKey },
  ];
}

/**
 * The `throttle_state` counters (per client, per account, per (account, client)): what the lockout
 * policy (lockout.policy.ts, pure) decides over, kept under row locks.
 */
@Injectable()
export class ThrottleRepository {
  /**
   * Counts one failure on each counter under row locks (taken in a fixed order, so concurrent
   * failures neither deadlock nor lose counts) and returns what each rule decided.
   */
  async recordFailure(
    q: Queryable,
    keys: CounterKey[],
    rules: Record<ThrottleScope, ThrottleRule>,
    now: number,
  ): Promise<Map<ThrottleScope, FailureOutcome>> {
    const ordered = [...keys].sort((a, b) => (a.scope + a.key).localeCompare(b.scope + b.key));
    // ON CONFLICT DO UPDATE locks an existing row and returns it: insert-or-lock in one round trip.
    const { rows } = await q.query<Row>(
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
    await q.query(
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

  /** The counters of `keys` that exist (no row: no failure yet), by scope; no lock taken. */
  async load(q: Queryable, keys: CounterKey[]): Promise<Map<ThrottleScope, CounterState>> {
    const { rows } = await q.query<Row>(
      `SELECT ${COLUMNS} FROM throttle_state
        WHERE (scope, key) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
      [keys.map((k) => k.scope), keys.map((k) => k.key)],
    );
    return new Map(rows.map((r) => [r.scope, toState(r)]));
  }

  /** Forget an account's failures (admin unlock, password reset): its own counter and every (account, IP) pair. */
  async clearAccountCounters(q: Queryable, accountKey: string): Promise<number> {
    const r = await q.query(
      `DELETE FROM throttle_state WHERE (scope = 'account' AND key = $1) OR (scope = 'account_ip' AND key LIKE $2)`,
      [accountKey, `${accountKey.replace(/[\\%_]/g, (c) => `\\${c}`)}|%`],
    );
    return r.rowCount ?? 0;
  }

  /** Whether the account-wide wait of the failed-login lockout is running. */
  async accountBlocked(q: Queryable, accountKey: string): Promise<boolean> {
    const { rows } = await q.query<{ blocked: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM throttle_state WHERE scope = 'account' AND key = $1 AND blocked_until > now()) AS blocked`,
      [accountKey],
    );
    return rows[0].blocked;
  }

  /** Ends the account-wide waits that ran out; the ids of the users whose wait it was. */
  async liftExpiredAccountBlocks(q: Queryable): Promise<string[]> {
    const { rows } = await q.query<{ key: string }>(
      `UPDATE throttle_state SET blocked_until = NULL WHERE scope = 'account' AND blocked_until <= now() AND key LIKE 'u:%' RETURNING key`,
    );
    return rows.map((r) => r.key.slice(2));
  }

  /** Counters with no failure for a day and no wait running. */
  async pruneStale(q: Queryable): Promise<void> {
    await q.query(
      `DELETE FROM throttle_state WHERE last_failure_at < now() - interval '1 day' AND (blocked_until IS NULL OR blocked_until < now())`,
    );
  }
}
