import { Injectable } from '@nestjs/common';
import type { EventEnvelope } from '@vigil/contracts';
import { Db, type Queryable } from '@vigil/database';
import { outboxInsert, outboxParams } from '../outbox/outbox.repository';

/** A presented refresh token with its family (the session) and the family's user, as the refresh rules need them. */
export interface RefreshRow {
  generation: number;
  expires_ms: string;
  rotated_ms: string | null;
  retried_ms: string | null;
  successor_sealed: Buffer | null;
  session_id: string;
  user_id: string;
  family_generation: number;
  session_expires_ms: string;
  session_revoked_ms: string | null;
  is_active: boolean;
  locked: boolean;
  roles: string[];
  username: string;
  /** The OAuth client the family was issued to (NULL: the implicit client). */
  client_id: string | null;
}

export interface SessionRow {
  id: string;
  created_at: Date;
  last_used_at: Date;
  expires_at: Date;
  ip: string | null;
  user_agent: string | null;
  revoked_at: Date | null;
  revoke_reason: string | null;
}

/** What introspection tells about a refresh token. */
export interface RefreshTokenState {
  session_id: string;
  user_id: string;
  username: string;
  roles: string[];
  exp: string;
  iat: string;
  active: boolean;
}

/** `sessions` (one per refresh family) and `refresh_tokens` (stored as SHA-256 only). */
@Injectable()
export class SessionsRepository {
  constructor(private readonly db: Db) {}

  /** The presented token's row, its session and user, under the row locks of the token and the session. */
  async lockForRefresh(q: Queryable, hash: Buffer): Promise<RefreshRow | undefined> {
    const { rows } = await q.query<RefreshRow>(
      `SELECT rt.generation, (extract(epoch FROM rt.expires_at) * 1000)::bigint AS expires_ms,
                (extract(epoch FROM rt.rotated_at) * 1000)::bigint AS rotated_ms, (extract(epoch FROM rt.retried_at) * 1000)::bigint AS retried_ms,
                rt.successor_sealed,
                s.id AS session_id, s.user_id, s.generation AS family_generation, s.client_id,
                (extract(epoch FROM s.expires_at) * 1000)::bigint AS session_expires_ms, (extract(epoch FROM s.revoked_at) * 1000)::bigint AS session_revoked_ms,
                u.is_active, (u.locked_until IS NOT NULL AND u.locked_until > now()) AS locked, u.roles, u.username
           FROM refresh_tokens rt JOIN sessions s ON s.id = rt.session_id JOIN users u ON u.id = s.user_id
          WHERE rt.token_hash = $1
          FOR UPDATE OF rt, s`,
      [hash],
    );
    return rows[0];
  }

  /** When a kept successor expires, if it is still the family's one current token of `generation`. */
  async currentTokenExpiry(
    q: Queryable,
    hash: Buffer,
    sessionId: string,
    generation: number,
  ): Promise<number | undefined> {
    const { rows } = await q.query<{ expires_ms: string }>(
      `SELECT (extract(epoch FROM expires_at) * 1000)::bigint AS expires_ms FROM refresh_tokens
        WHERE token_hash = $1 AND session_id = $2 AND generation = $3 AND rotated_at IS NULL AND expires_at > now()`,
      [hash, sessionId, generation],
    );
    return rows[0] ? Number(rows[0].expires_ms) : undefined;
  }

  /** Reuse detected: the family is revoked and every sealed successor in it erased. */
  async revokeForReuse(q: Queryable, sessionId: string): Promise<void> {
    await q.query(
      `WITH s AS (UPDATE sessions SET revoked_at = now(), revoke_reason = 'reuse_detected' WHERE id = $1)
           UPDATE refresh_tokens SET successor_sealed = NULL WHERE session_id = $1 AND successor_sealed IS NOT NULL`,
      [sessionId],
    );
  }

  /** The one grace retry, in one statement: the box is spent, the session touched, the event appended. */
  async spendGraceRetry(q: Queryable, hash: Buffer, sessionId: string, event: EventEnvelope): Promise<void> {
    await q.query(
      `WITH a AS (UPDATE refresh_tokens SET retried_at = now(), successor_sealed = NULL WHERE token_hash = $1),
                c AS (UPDATE sessions SET last_used_at = now() WHERE id = $2)
           ${outboxInsert(3)}`,
      [hash, sessionId, ...outboxParams([event])],
    );
  }

  /**
   * A rotation in one statement: the presented token is marked rotated (keeping its successor
   * sealed), older boxes erased, the next token stored, the family's generation moved on and the
   * event appended. Returns when the next token expires (epoch ms).
   */
  async rotate(
    q: Queryable,
    r: {
      hash: Buffer;
      nextHash: Buffer;
      generation: number;
      ttlSeconds: number;
      sessionId: string;
      sealed: Buffer;
      event: EventEnvelope;
    },
  ): Promise<number> {
    const { rows } = await q.query<{ expires_ms: string }>(
      `WITH a AS (UPDATE refresh_tokens SET rotated_at = now(), successor_sealed = $6 WHERE token_hash = $1),
              z AS (UPDATE refresh_tokens SET successor_sealed = NULL WHERE session_id = $5 AND token_hash <> $1 AND successor_sealed IS NOT NULL),
              b AS (INSERT INTO refresh_tokens (token_hash, session_id, generation, expires_at)
                    SELECT $2, s.id, $3, least(now() + make_interval(secs => $4), s.expires_at) FROM sessions s WHERE s.id = $5
                    RETURNING expires_at),
              c AS (UPDATE sessions SET generation = greatest(generation, $3), last_used_at = now() WHERE id = $5),
              o AS (${outboxInsert(7)})
         SELECT (extract(epoch FROM expires_at) * 1000)::bigint AS expires_ms FROM b`,
      [r.hash, r.nextHash, r.generation, r.ttlSeconds, r.sessionId, r.sealed, ...outboxParams([r.event])],
    );
    return Number(rows[0].expires_ms);
  }

  /** Revokes one session or all of a user's live sessions; their refresh tokens die with them. */
  async revoke(q: Queryable, userId: string, sessionId: string | undefined, reason: string): Promise<number> {
    const r = sessionId
      ? await q.query(
          `UPDATE sessions SET revoked_at = now(), revoke_reason = $3 WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL`,
          [sessionId, userId, reason],
        )
      : await q.query(
          `UPDATE sessions SET revoked_at = now(), revoke_reason = $2 WHERE user_id = $1 AND revoked_at IS NULL`,
          [userId, reason],
        );
    return r.rowCount ?? 0;
  }

  /**
   * Revokes every live session of every user (seeds 000-43, 003-23), except `keepSessionId` (the
   * caller's own, so the operator stays logged in); the sessions ended, per user.
   */
  async revokeEveryone(
    q: Queryable,
    keepSessionId: string | undefined,
    reason: string,
  ): Promise<Array<{ user_id: string; session_ids: string[] }>> {
    const { rows } = await q.query<{ user_id: string; session_ids: string[] }>(
      `WITH r AS (
         UPDATE sessions SET revoked_at = now(), revoke_reason = $2
          WHERE revoked_at IS NULL AND expires_at > now() AND ($1::uuid IS NULL OR id <> $1::uuid)
          RETURNING user_id, id)
       SELECT user_id, array_agg(id::text ORDER BY id) AS session_ids FROM r GROUP BY user_id ORDER BY user_id`,
      [keepSessionId ?? null, reason],
    );
    return rows;
  }

  /** The session (family) of a refresh token, if the token is one of `userId`'s. */
  async familyOf(q: Queryable, hash: Buffer, userId: string): Promise<string | undefined> {
    const { rows } = await q.query<{ session_id: string }>(
      `SELECT rt.session_id FROM refresh_tokens rt JOIN sessions s ON s.id = rt.session_id WHERE rt.token_hash = $1 AND s.user_id = $2`,
      [hash, userId],
    );
    return rows[0]?.session_id;
  }

  /** A refresh token's family, user and client, whatever the token's state (RFC 7009 revocation). */
  async tokenFamily(
    q: Queryable,
    hash: Buffer,
  ): Promise<{ session_id: string; user_id: string; client_id: string | null } | undefined> {
    const { rows } = await q.query<{ session_id: string; user_id: string; client_id: string | null }>(
      `SELECT rt.session_id, s.user_id, s.client_id FROM refresh_tokens rt JOIN sessions s ON s.id = rt.session_id WHERE rt.token_hash = $1`,
      [hash],
    );
    return rows[0];
  }

  /**
   * Introspection (RFC 7662) of a refresh token: active while it is its family's current token, unexpired,
   * its session live and its user active and unlocked.
   */
  async refreshTokenState(hash: Buffer): Promise<RefreshTokenState | undefined> {
    const rows = await this.db.rows<RefreshTokenState>(
      `SELECT s.id AS session_id, s.user_id, u.username, u.roles,
              (extract(epoch FROM least(rt.expires_at, s.expires_at)))::bigint AS exp,
              (extract(epoch FROM rt.created_at))::bigint AS iat,
              (rt.rotated_at IS NULL AND rt.expires_at > now() AND s.revoked_at IS NULL AND s.expires_at > now()
                 AND u.is_active AND NOT (u.locked_until IS NOT NULL AND u.locked_until > now())) AS active
         FROM refresh_tokens rt JOIN sessions s ON s.id = rt.session_id JOIN users u ON u.id = s.user_id
        WHERE rt.token_hash = $1`,
      [hash],
    );
    return rows[0];
  }

  listByUser(userId: string): Promise<SessionRow[]> {
    return this.db.rows<SessionRow>(
      `SELECT id, created_at, last_used_at, expires_at, host(ip) AS ip, user_agent, revoked_at, revoke_reason
         FROM sessions WHERE user_id = $1 ORDER BY created_at DESC LIMIT 200`,
      [userId],
    );
  }

  /** Sealed successors are kept for the refresh grace only. */
  async eraseSealedAfter(q: Queryable, graceSeconds: number): Promise<void> {
    await q.query(
      `UPDATE refresh_tokens SET successor_sealed = NULL WHERE successor_sealed IS NOT NULL AND rotated_at < now() - make_interval(secs => $1::int)`,
      [graceSeconds],
    );
  }

  /** Sessions revoked or expired more than 30 days ago (their refresh tokens cascade). */
  async pruneEnded(q: Queryable): Promise<void> {
    await q.query(`DELETE FROM sessions WHERE coalesce(revoked_at, expires_at) < now() - interval '30 days'`);
  }

  async countActive(q: Queryable): Promise<number> {
    const { rows } = await q.query<{ n: string }>(
      `SELECT count(*) AS n FROM sessions WHERE revoked_at IS NULL AND expires_at > now()`,
    );
    return Number(rows[0].n);
  }
}
