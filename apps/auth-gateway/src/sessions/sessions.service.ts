import { Inject, Injectable } from '@nestjs/common';
import type { EventEnvelope } from '@vigil/contracts';
import { SERVICE_CONFIG } from '@vigil/runtime';
import type { AuthGatewayConfig } from '../config';
import { Db, type Sql } from '../db/db';
import { attemptedUsername, gatewayEvent, type RequestMeta } from '../events/event-builder';
import { invalidGrant } from '../http/problems';
import { JunkRequests } from '../junk/junk-requests.service';
import { AccessTokenSigner } from '../keys/access-token.signer';
import type { TokenResponse } from '../login/login.service';
import { gatewayMetrics } from '../metrics/gateway.metrics';
import { OutboxWriter } from '../outbox/outbox.writer';
import { decideRefresh, type RefreshRejection } from './refresh-token.rules';
import {
  hashRefreshToken,
  newRefreshToken,
  openSuccessor,
  REFRESH_TOKEN_PATTERN,
  sealSuccessor,
} from './refresh-tokens';

interface RefreshRow {
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
}

export interface SessionView {
  id: string;
  createdAt: string;
  lastUsedAt: string;
  expiresAt: string;
  ip: string | null;
  userAgent: string | null;
  revokedAt: string | null;
  revokeReason: string | null;
}

const ms = (v: string | null) => (v === null ? null : Number(v));

/** Refresh (rotation with reuse detection), logout, revocation and session listing. */
@Injectable()
export class SessionsService {
  constructor(
    private readonly db: Db,
    private readonly signer: AccessTokenSigner,
    private readonly outbox: OutboxWriter,
    @Inject(SERVICE_CONFIG) private readonly config: AuthGatewayConfig,
    private readonly junk: JunkRequests,
  ) {}

  async refresh(refreshToken: string, meta: RequestMeta): Promise<TokenResponse> {
    if (!REFRESH_TOKEN_PATTERN.test(refreshToken)) {
      await this.rejected('unknown', undefined, meta);
      throw invalidGrant();
    }
    const hash = hashRefreshToken(refreshToken);
    const c = this.config;
    const fast = await this.rotateCurrent(refreshToken, hash, meta);
    if (fast) return fast;
    // Everything else under the session's row lock: a concurrent rotation of the same token waits
    // here for the first to commit, then finds it rotated and takes the grace retry (one chain).
    const result = await this.db.tx(async (sql) => {
      const [row] = await sql.query<RefreshRow>(
        `SELECT rt.generation, (extract(epoch FROM rt.expires_at) * 1000)::bigint AS expires_ms,
                (extract(epoch FROM rt.rotated_at) * 1000)::bigint AS rotated_ms, (extract(epoch FROM rt.retried_at) * 1000)::bigint AS retried_ms,
                rt.successor_sealed,
                s.id AS session_id, s.user_id, s.generation AS family_generation,
                (extract(epoch FROM s.expires_at) * 1000)::bigint AS session_expires_ms, (extract(epoch FROM s.revoked_at) * 1000)::bigint AS session_revoked_ms,
                u.is_active, (u.locked_until IS NOT NULL AND u.locked_until > now()) AS locked, u.roles, u.username
           FROM refresh_tokens rt JOIN sessions s ON s.id = rt.session_id JOIN users u ON u.id = s.user_id
          WHERE rt.token_hash = $1
          FOR UPDATE OF rt, s`,
        [hash],
      );
      const now = Date.now();
      let decision = decideRefresh(
        row && {
          generation: row.generation,
          expiresAt: Number(row.expires_ms),
          rotatedAt: ms(row.rotated_ms),
          retriedAt: ms(row.retried_ms),
          successorKept: row.successor_sealed !== null,
        },
        row && {
          generation: row.family_generation,
          expiresAt: Number(row.session_expires_ms),
          revokedAt: ms(row.session_revoked_ms),
          userActive: row.is_active && !row.locked,
        },
        now,
        c.refreshReuseGraceSeconds * 1000,
      );
      if (decision.kind === 'reject') return { ok: false as const, reason: decision.reason, row };
      const subject = { userId: row!.user_id, username: attemptedUsername(row!.username) };
      let successor: { token: string; expiresMs: number } | undefined;
      if (decision.kind === 'grace_retry') {
        successor = await this.keptSuccessor(sql, row!, refreshToken, decision.successorGeneration);
        if (!successor) decision = { kind: 'reuse' }; // nothing to serve again: never mint a sibling
      }
      if (decision.kind === 'reuse') {
        await sql.query(
          `WITH s AS (UPDATE sessions SET revoked_at = now(), revoke_reason = 'reuse_detected' WHERE id = $1)
           UPDATE refresh_tokens SET successor_sealed = NULL WHERE session_id = $1 AND successor_sealed IS NOT NULL`,
          [row!.session_id],
        );
        await this.outbox.append(sql, [
          gatewayEvent('TOKEN_REFRESH_REUSE', {
            subject,
            outcome: 'denied',
            reason: 'refresh_token_reused',
            attributes: {
              familyId: row!.session_id,
              presentedGeneration: row!.generation,
              familyRevoked: true,
            },
            meta,
          }),
        ]);
        return { ok: false as const, reason: 'reused' as const, row };
      }
      const generation = decision.kind === 'rotate' ? decision.nextGeneration : decision.successorGeneration;
      const event = gatewayEvent('TOKEN_REFRESH', {
        actor: { userId: row!.user_id, roles: row!.roles },
        subject,
        outcome: 'success',
        ...(decision.kind === 'grace_retry' ? { reason: 'grace_retry' } : {}),
        attributes: { familyId: row!.session_id, sessionId: row!.session_id, generation },
        meta,
      });
      if (successor) {
        // The one retry: the same successor again (the box is spent), a fresh access token.
        await sql.query(
          `WITH a AS (UPDATE refresh_tokens SET retried_at = now(), successor_sealed = NULL WHERE token_hash = $1),
                c AS (UPDATE sessions SET last_used_at = now() WHERE id = $2)
           ${OutboxWriter.insertFragment(3)}`,
          [hash, row!.session_id, ...OutboxWriter.params([event])],
        );
        return { ok: true as const, row: row!, token: successor.token, expiresMs: successor.expiresMs };
      }
      const next = newRefreshToken();
      const [{ expires_ms }] = await sql.query<{ expires_ms: string }>(
        `WITH a AS (UPDATE refresh_tokens SET rotated_at = now(), successor_sealed = $6 WHERE token_hash = $1),
              z AS (UPDATE refresh_tokens SET successor_sealed = NULL WHERE session_id = $5 AND token_hash <> $1 AND successor_sealed IS NOT NULL),
              b AS (INSERT INTO refresh_tokens (token_hash, session_id, generation, expires_at)
                    SELECT $2, s.id, $3, least(now() + make_interval(secs => $4), s.expires_at) FROM sessions s WHERE s.id = $5
                    RETURNING expires_at),
              c AS (UPDATE sessions SET generation = greatest(generation, $3), last_used_at = now() WHERE id = $5),
              o AS (${OutboxWriter.insertFragment(7)})
         SELECT (extract(epoch FROM expires_at) * 1000)::bigint AS expires_ms FROM b`,
        [
          hash,
          next.hash,
          generation,
          c.refreshTokenTtlSeconds,
          row!.session_id,
          sealSuccessor(next.token, refreshToken),
          ...OutboxWriter.params([event]),
        ],
      );
      return { ok: true as const, row: row!, token: next.token, expiresMs: Number(expires_ms) };
    });
    this.outbox.written();
    if (!result.ok) {
      if (result.reason !== 'reused') await this.rejected(result.reason, result.row, meta);
      gatewayMetrics().refreshes.add(1, { outcome: result.reason });
      throw invalidGrant();
    }
    gatewayMetrics().refreshes.add(1, { outcome: 'success' });
    return this.respond(
      result.row.user_id,
      result.row.roles,
      result.row.session_id,
      result.expiresMs,
      result.token,
    );
  }

  /**
   * The successor a rotated token was replaced by, opened with the presented token, provided it is
   * still the family's one current token (never rotated, of the expected generation, not expired).
   */
  private async keptSuccessor(
    sql: Sql,
    row: RefreshRow,
    presented: string,
    generation: number,
  ): Promise<{ token: string; expiresMs: number } | undefined> {
    const token = row.successor_sealed ? openSuccessor(row.successor_sealed, presented) : undefined;
    if (!token) return undefined;
    const [succ] = await sql.query<{ expires_ms: string }>(
      `SELECT (extract(epoch FROM expires_at) * 1000)::bigint AS expires_ms FROM refresh_tokens
        WHERE token_hash = $1 AND session_id = $2 AND generation = $3 AND rotated_at IS NULL AND expires_at > now()`,
      [hashRefreshToken(token), row.session_id, generation],
    );
    return succ ? { token, expiresMs: Number(succ.expires_ms) } : undefined;
  }

  /**
   * The common case in one statement (one round trip, its own transaction): a current token of a
   * live session is rotated, the next one stored and TOKEN_REFRESH appended. Anything else (grace
   * retry, reuse, expiry, a concurrent rotation) finds no row here and takes the locked path.
   * The event is built and validated in TypeScript with placeholder ids, which SQL replaces with
   * values of the same shapes (uuids; roles constrained to the known names).
   */
  private async rotateCurrent(
    presented: string,
    hash: Buffer,
    meta: RequestMeta,
  ): Promise<TokenResponse | undefined> {
    const c = this.config;
    const next = newRefreshToken();
    const ZERO = '00000000-0000-0000-0000-000000000000';
    const template = gatewayEvent('TOKEN_REFRESH', {
      actor: { userId: ZERO, roles: [] },
      subject: { userId: ZERO },
      outcome: 'success',
      attributes: { familyId: ZERO, sessionId: ZERO, generation: 1 },
      meta,
    });
    const [row] = await this.db.query<{
      user_id: string;
      roles: string[];
      session_id: string;
      refresh_expires_ms: string;
    }>(
      `WITH cur AS (
         SELECT rt.token_hash, s.id AS session_id, s.user_id, s.generation AS fam_gen, s.expires_at AS session_expires, u.roles
           FROM refresh_tokens rt JOIN sessions s ON s.id = rt.session_id JOIN users u ON u.id = s.user_id
          WHERE rt.token_hash = $1 AND rt.rotated_at IS NULL AND rt.expires_at > now()
            AND s.revoked_at IS NULL AND s.expires_at > now()
            AND u.is_active AND (u.locked_until IS NULL OR u.locked_until <= now())
          FOR UPDATE OF rt, s),
       a AS (UPDATE refresh_tokens t SET rotated_at = now(), successor_sealed = $7 FROM cur WHERE t.token_hash = cur.token_hash RETURNING cur.*),
       z AS (UPDATE refresh_tokens t SET successor_sealed = NULL FROM a
              WHERE t.session_id = a.session_id AND t.token_hash <> a.token_hash AND t.successor_sealed IS NOT NULL),
       b AS (INSERT INTO refresh_tokens (token_hash, session_id, generation, expires_at)
             SELECT $2, a.session_id, a.fam_gen + 1, least(now() + make_interval(secs => $3), a.session_expires) FROM a
             RETURNING expires_at),
       s AS (UPDATE sessions SET generation = a.fam_gen + 1, last_used_at = now() FROM a WHERE sessions.id = a.session_id),
       o AS (INSERT INTO outbox (event_id, event_type, event_key, payload, traceparent)
             SELECT $4::uuid, 'TOKEN_REFRESH', a.user_id::text,
                    $5::jsonb || jsonb_build_object(
                      'actor', jsonb_build_object('userId', a.user_id::text, 'roles', to_jsonb(a.roles)),
                      'subject', jsonb_build_object('userId', a.user_id::text),
                      'attributes', jsonb_build_object('familyId', a.session_id::text, 'sessionId', a.session_id::text, 'generation', a.fam_gen + 1)),
                    $6
               FROM a)
       SELECT a.user_id, a.roles, a.session_id, (SELECT (extract(epoch FROM b.expires_at) * 1000)::bigint FROM b) AS refresh_expires_ms FROM a`,
      [
        hash,
        next.hash,
        c.refreshTokenTtlSeconds,
        template.id,
        JSON.stringify(template),
        template.traceparent ?? null,
        sealSuccessor(next.token, presented),
      ],
    );
    if (!row) return undefined;
    this.outbox.written();
    gatewayMetrics().refreshes.add(1, { outcome: 'success' });
    return this.respond(row.user_id, row.roles, row.session_id, Number(row.refresh_expires_ms), next.token);
  }

  /** A new access token for the session, with the refresh token it goes with (expiring at `refreshExpiresMs`). */
  private async respond(
    userId: string,
    roles: string[],
    sessionId: string,
    refreshExpiresMs: number,
    refreshToken: string,
  ): Promise<TokenResponse> {
    const access = await this.signer.sign({ sub: userId, roles, sid: sessionId });
    return {
      access_token: access.token,
      token_type: 'Bearer',
      expires_in: access.expiresIn,
      refresh_token: refreshToken,
      refresh_expires_in: Math.max(0, Math.round((refreshExpiresMs - Date.now()) / 1000)),
      scope: roles.join(' '),
    };
  }

  /** A refused refresh is an auth outcome too: TOKEN_VALIDATION_FAILED, with the family's user when known. */
  private async rejected(reason: RefreshRejection, row: RefreshRow | undefined, meta: RequestMeta): Promise<void> {
    const failure = reason === 'unknown' ? 'malformed' : reason === 'expired' || reason === 'session_expired' ? 'expired' : 'revoked';
    // Junk anyone can send: the first per client and window in full, the rest counted (JunkRequests).
    await this.junk.record('refresh_token', meta.ip, { reason: `refresh_${reason}`, route: '/api/v1/auth/refresh' }, () =>
      gatewayEvent('TOKEN_VALIDATION_FAILED', {
        ...(row ? { subject: { userId: row.user_id } } : {}),
        outcome: 'denied',
        reason: `refresh_${reason}`,
        attributes: { failure },
        meta,
      }),
    );
  }

  /** Logout: ends the caller's session (or all of them) and emits AUTH_LOGOUT. */
  async logout(
    userId: string,
    sessionId: string | undefined,
    allSessions: boolean,
    meta: RequestMeta,
  ): Promise<number> {
    return this.revokeWith(async (sql) => {
      const n = await revokeSessions(sql, userId, allSessions ? undefined : sessionId, 'logout');
      return {
        count: n,
        events: [
          gatewayEvent('AUTH_LOGOUT', {
            actor: { userId },
            subject: { userId },
            outcome: 'success',
            attributes: {
              ...(sessionId ? { sessionId } : {}),
              scope: allSessions ? 'all_sessions' : 'session',
            },
            meta,
          }),
        ],
      };
    });
  }

  /**
   * Revocation (seed 001: bearer only, no body): the caller's own session and so its refresh
   * family, or, given a refresh token of the caller's (RFC 7009), that token's family.
   */
  async revoke(
    userId: string,
    sessionId: string | undefined,
    refreshToken: string | undefined,
    meta: RequestMeta,
  ): Promise<number> {
    return this.revokeWith(async (sql) => {
      let target = sessionId;
      if (refreshToken !== undefined) {
        const [row] = REFRESH_TOKEN_PATTERN.test(refreshToken)
          ? await sql.query<{ session_id: string }>(
              `SELECT rt.session_id FROM refresh_tokens rt JOIN sessions s ON s.id = rt.session_id WHERE rt.token_hash = $1 AND s.user_id = $2`,
              [hashRefreshToken(refreshToken), userId],
            )
          : [];
        target = row?.session_id;
      }
      if (!target) return { count: 0, events: [] };
      const n = await revokeSessions(sql, userId, target, 'revoked');
      return {
        count: n,
        events: [
          gatewayEvent('TOKEN_REVOKED', {
            actor: { userId },
            subject: { userId },
            outcome: 'success',
            attributes: {
              scope: 'family',
              trigger: 'user',
              familyId: target,
              sessionId: target,
              revokedCount: n,
            },
            meta,
          }),
        ],
      };
    });
  }

  private async revokeWith(
    fn: (sql: Sql) => Promise<{ count: number; events: EventEnvelope[] }>,
  ): Promise<number> {
    const count = await this.db.tx(async (sql) => {
      const r = await fn(sql);
      await this.outbox.append(sql, r.events);
      return r.count;
    });
    this.outbox.written();
    return count;
  }

  async list(userId: string): Promise<SessionView[]> {
    const rows = await this.db.query<{
      id: string;
      created_at: Date;
      last_used_at: Date;
      expires_at: Date;
      ip: string | null;
      user_agent: string | null;
      revoked_at: Date | null;
      revoke_reason: string | null;
    }>(
      `SELECT id, created_at, last_used_at, expires_at, host(ip) AS ip, user_agent, revoked_at, revoke_reason
         FROM sessions WHERE user_id = $1 ORDER BY created_at DESC LIMIT 200`,
      [userId],
    );
    return rows.map((r) => ({
      id: r.id,
      createdAt: r.created_at.toISOString(),
      lastUsedAt: r.last_used_at.toISOString(),
      expiresAt: r.expires_at.toISOString(),
      ip: r.ip,
      userAgent: r.user_agent,
      revokedAt: r.revoked_at?.toISOString() ?? null,
      revokeReason: r.revoke_reason,
    }));
  }
}

/** Revokes one session or all of a user's live sessions; their refresh tokens die with them. */
export async function revokeSessions(
  sql: Sql,
  userId: string,
  sessionId: string | undefined,
  reason: string,
): Promise<number> {
  return sessionId
    ? sql.exec(
        `UPDATE sessions SET revoked_at = now(), revoke_reason = $3 WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL`,
        [sessionId, userId, reason],
      )
    : sql.exec(
        `UPDATE sessions SET revoked_at = now(), revoke_reason = $2 WHERE user_id = $1 AND revoked_at IS NULL`,
        [userId, reason],
      );
}
