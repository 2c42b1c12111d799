import { Inject, Injectable } from '@nestjs/common';
import type { EventEnvelope } from '@vigil/contracts';
import { SERVICE_CONFIG } from '@vigil/runtime';
import { Db, type Queryable } from '@vigil/database';
import type { AuthGatewayConfig } from '../config';
import { attemptedUsername, gatewayEvent, type RequestMeta } from '../events/gateway-event.factory';
import { invalidGrant } from '../http/problems';
import { JunkRequests } from '../junk/junk-requests.service';
import { AccessTokenSigner, type TokenClient } from '../keys/access-token.signer';
import { gatewayMetrics } from '../metrics/gateway.metrics';
import { OutboxWriter } from '../outbox/outbox.writer';
import { IMPLICIT_CLIENT_ID } from '../oauth/oauth-clients';
import { decideRefresh, type RefreshRejection } from './refresh-token.rules';
import {
  hashRefreshToken,
  newRefreshToken,
  openSuccessor,
  REFRESH_TOKEN_PATTERN,
  sealSuccessor,
} from './refresh-tokens';
import { SessionsRepository, type RefreshRow, type RefreshTokenState } from './sessions.repository';
import type { TokenResponse } from './token-response';

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
    private readonly sessions: SessionsRepository,
    private readonly signer: AccessTokenSigner,
    private readonly outbox: OutboxWriter,
    @Inject(SERVICE_CONFIG) private readonly config: AuthGatewayConfig,
    private readonly junk: JunkRequests,
  ) {}

  /** `client`: the OAuth client the new access token is issued to (token endpoint), if any. */
  async refresh(refreshToken: string, meta: RequestMeta, client?: TokenClient): Promise<TokenResponse> {
    if (!REFRESH_TOKEN_PATTERN.test(refreshToken)) {
      await this.rejected('unknown', undefined, meta);
      throw invalidGrant();
    }
    const hash = hashRefreshToken(refreshToken);
    const c = this.config;
    // Under the token's and the session's row locks: a concurrent rotation of the same token waits
    // here for the first to commit, then finds it rotated and takes the grace retry (one chain).
    const result = await this.db.tx(async (sql) => {
      const row = await this.sessions.lockForRefresh(sql, hash);
      // RFC 6749 §6: a refresh token is good only for the client it was issued to (no rotation, no reuse verdict).
      if (row && (row.client_id ?? IMPLICIT_CLIENT_ID) !== (client?.clientId ?? IMPLICIT_CLIENT_ID))
        return { ok: false as const, reason: 'wrong_client' as const, row };
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
        await this.sessions.revokeForReuse(sql, row!.session_id);
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
        attributes: {
          familyId: row!.session_id,
          sessionId: row!.session_id,
          generation,
          ...(client ? { clientId: client.clientId } : {}),
        },
        meta,
      });
      if (successor) {
        // The one retry: the same successor again (the box is spent), a fresh access token.
        await this.sessions.spendGraceRetry(sql, hash, row!.session_id, event);
        return { ok: true as const, row: row!, token: successor.token, expiresMs: successor.expiresMs };
      }
      const next = newRefreshToken();
      const expiresMs = await this.sessions.rotate(sql, {
        hash,
        nextHash: next.hash,
        generation,
        ttlSeconds: c.refreshTokenTtlSeconds,
        sessionId: row!.session_id,
        sealed: sealSuccessor(next.token, refreshToken),
        event,
      });
      return { ok: true as const, row: row!, token: next.token, expiresMs };
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
      client,
    );
  }

  /**
   * The successor a rotated token was replaced by, opened with the presented token, provided it is
   * still the family's one current token (never rotated, of the expected generation, not expired).
   */
  private async keptSuccessor(
    sql: Queryable,
    row: RefreshRow,
    presented: string,
    generation: number,
  ): Promise<{ token: string; expiresMs: number } | undefined> {
    const token = row.successor_sealed ? openSuccessor(row.successor_sealed, presented) : undefined;
    if (!token) return undefined;
    const expiresMs = await this.sessions.currentTokenExpiry(
      sql,
      hashRefreshToken(token),
      row.session_id,
      generation,
    );
    return expiresMs === undefined ? undefined : { token, expiresMs };
  }

  /** A new access token for the session, with the refresh token it goes with (expiring at `refreshExpiresMs`). */
  private async respond(
    userId: string,
    roles: string[],
    sessionId: string,
    refreshExpiresMs: number,
    refreshToken: string,
    client?: TokenClient,
  ): Promise<TokenResponse> {
    const access = await this.signer.sign({ sub: userId, roles, sid: sessionId }, client);
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
  private async rejected(
    reason: RefreshRejection | 'wrong_client',
    row: RefreshRow | undefined,
    meta: RequestMeta,
  ): Promise<void> {
    const failure =
      reason === 'unknown'
        ? 'malformed'
        : reason === 'expired' || reason === 'session_expired'
          ? 'expired'
          : reason === 'wrong_client'
            ? 'bad_audience'
            : 'revoked';
    // Junk anyone can send: the first per client and window in full, the rest counted (JunkRequests).
    await this.junk.record(
      'refresh_token',
      meta.ip,
      { reason: `refresh_${reason}`, route: '/api/v1/auth/refresh' },
      () =>
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
      const n = await this.sessions.revoke(sql, userId, allSessions ? undefined : sessionId, 'logout');
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
        target = REFRESH_TOKEN_PATTERN.test(refreshToken)
          ? await this.sessions.familyOf(sql, hashRefreshToken(refreshToken), userId)
          : undefined;
      }
      if (!target) return { count: 0, events: [] };
      const n = await this.sessions.revoke(sql, userId, target, 'revoked');
      return { count: n, events: [familyRevoked(userId, target, n, meta)] };
    });
  }

  /**
   * RFC 7009: a refresh token presented by the client it was issued to ends its whole family
   * (session), with TOKEN_REVOKED. An unknown or malformed token changes nothing (the endpoint answers
   * 200 anyway); a token of another client changes nothing either, and says so (`other_client`).
   */
  async revokeRefreshToken(
    refreshToken: string,
    clientId: string,
    meta: RequestMeta,
  ): Promise<'revoked' | 'unknown' | 'other_client'> {
    if (!REFRESH_TOKEN_PATTERN.test(refreshToken)) return 'unknown';
    let outcome: 'revoked' | 'unknown' | 'other_client' = 'unknown';
    await this.revokeWith(async (sql) => {
      const family = await this.sessions.tokenFamily(sql, hashRefreshToken(refreshToken));
      if (!family) return { count: 0, events: [] };
      if ((family.client_id ?? IMPLICIT_CLIENT_ID) !== clientId) {
        outcome = 'other_client';
        return { count: 0, events: [] };
      }
      outcome = 'revoked';
      return this.revokeSession(sql, family.user_id, family.session_id, meta);
    });
    return outcome;
  }

  /** RFC 7009 with an access token: its session ends (and so the refresh family issued with it). */
  async revokeSessionOf(userId: string, sessionId: string, meta: RequestMeta): Promise<number> {
    return this.revokeWith((sql) => this.revokeSession(sql, userId, sessionId, meta));
  }

  private async revokeSession(sql: Queryable, userId: string, sessionId: string, meta: RequestMeta) {
    const n = await this.sessions.revoke(sql, userId, sessionId, 'revoked');
    if (n === 0) return { count: 0, events: [] }; // already ended: nothing happened, no event
    return { count: n, events: [familyRevoked(userId, sessionId, n, meta)] };
  }

  /** RFC 7662: what a refresh token is, if it is one of ours. */
  async introspectRefreshToken(refreshToken: string): Promise<RefreshTokenState | undefined> {
    if (!REFRESH_TOKEN_PATTERN.test(refreshToken)) return undefined;
    return this.sessions.refreshTokenState(hashRefreshToken(refreshToken));
  }

  private async revokeWith(
    fn: (sql: Queryable) => Promise<{ count: number; events: EventEnvelope[] }>,
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
    const rows = await this.sessions.listByUser(userId);
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

/** TOKEN_REVOKED for a session (refresh family) its user ended: revokedCount tokens were refused. */
function familyRevoked(userId: string, sessionId: string, revokedCount: number, meta: RequestMeta) {
  return gatewayEvent('TOKEN_REVOKED', {
    actor: { userId },
    subject: { userId },
    outcome: 'success',
    attributes: { scope: 'family', trigger: 'user', familyId: sessionId, sessionId, revokedCount },
    meta,
  });
}
