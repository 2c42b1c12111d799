import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { normalizeUsername, type EventEnvelope } from '@vigil/contracts';
import { SERVICE_CONFIG } from '@vigil/runtime';
import { Db } from '@vigil/database';
import { hardLocked, type UserRow } from '../accounts/users.repository';
import type { AuthGatewayConfig } from '../config';
import { attemptedUsername, gatewayEvent, type RequestMeta } from '../events/gateway-event.factory';
import { invalidCredentials, RateLimitedException } from '../http/problems';
import { throttleKeyOf } from '../http/request-meta';
import { AccessTokenSigner } from '../keys/access-token.signer';
import { rateLimitFields, refusalOf, rulesFrom, type ThrottleScope } from '../lockout/lockout.policy';
import { counterKeys, ThrottleRepository } from '../lockout/throttle.repository';
import { gatewayMetrics } from '../metrics/gateway.metrics';
import { OutboxWriter } from '../outbox/outbox.writer';
import { PasswordHasher } from '../passwords/password-hasher';
import { newRefreshToken } from '../sessions/refresh-tokens';
import type { TokenResponse } from '../sessions/token-response';
import { LoginRepository } from './login.repository';

type FailureReason = 'unknown_user' | 'bad_password' | 'account_locked' | 'account_disabled';

/**
 * Password login. Every failure (unknown user, wrong password, admin-locked, deactivated) does the
 * same work and gets the same 401: an Argon2 verify (against a dummy hash when there is no user),
 * one counting transaction, one event. Waits come first and are announced (429, Retry-After, no
 * password check): per IP, per (account, IP), then account-wide after more than 5 failures in 10
 * minutes by default. The account-wide wait does not apply from an address the account logged in
 * from recently, so an attacker cannot keep the owner out; unknown usernames are counted and
 * answered exactly like real ones.
 */
@Injectable()
export class LoginService {
  private readonly rules;

  constructor(
    private readonly db: Db,
    private readonly logins: LoginRepository,
    private readonly throttles: ThrottleRepository,
    private readonly hasher: PasswordHasher,
    private readonly signer: AccessTokenSigner,
    private readonly outbox: OutboxWriter,
    @Inject(SERVICE_CONFIG) private readonly config: AuthGatewayConfig,
  ) {
    this.rules = rulesFrom(config);
  }

  async login(username: string, password: string, meta: RequestMeta, route: string): Promise<TokenResponse> {
    const login = normalizeUsername(username);
    const clientKey = throttleKeyOf(meta.ip);
    const { user, accountKey, counters } = await this.logins.loadContext(
      login,
      clientKey,
      this.config.knownIpDays,
    );
    const keys = counterKeys(accountKey, clientKey);
    const now = Date.now();

    // Waits first: no password check (costs nothing, says nothing), unknown names throttled alike.
    const refusal = refusalOf(counters, now, user?.familiar === true);
    if (refusal)
      throw await this.rateLimited(
        refusal.scope,
        refusal.retryAfterSeconds,
        counters.get(refusal.scope),
        now,
        user,
        login,
        meta,
        route,
      );

    const passwordOk = await this.hasher.verify(user?.password_hash, password);
    let reason: FailureReason | undefined;
    if (!user) reason = 'unknown_user';
    else if (!passwordOk) reason = 'bad_password';
    else if (!user.is_active) reason = 'account_disabled';
    else if (hardLocked(user)) reason = 'account_locked';
    if (reason) {
      await this.recordFailure(reason, keys, user, login, meta);
      throw invalidCredentials();
    }
    return this.succeed(user!, password, meta, accountKey, clientKey);
  }

  private async succeed(
    user: UserRow,
    password: string,
    meta: RequestMeta,
    accountKey: string,
    clientKey: string,
  ): Promise<TokenResponse> {
    const sessionId = randomUUID();
    const refresh = newRefreshToken();
    const event = gatewayEvent('AUTH_LOGIN', {
      actor: { userId: user.id, roles: user.roles },
      subject: { userId: user.id, username: attemptedUsername(user.username) },
      outcome: 'success',
      attributes: { sessionId, familyId: sessionId },
      meta,
    });
    const rehash = this.hasher.needsRehash(user.password_hash) ? await this.hasher.hash(password) : null;
    const c = this.config;
    await this.logins.recordSuccess({
      sessionId,
      userId: user.id,
      sessionMaxSeconds: c.sessionMaxSeconds,
      ip: meta.ip ?? null,
      userAgent: meta.userAgent?.slice(0, 512) ?? null,
      refreshHash: refresh.hash,
      refreshTtlSeconds: c.refreshTokenTtlSeconds,
      accountKey,
      clientKey,
      rehash,
      event,
    });
    this.outbox.written();
    gatewayMetrics().logins.add(1, { outcome: 'success' });
    const access = await this.signer.sign({ sub: user.id, roles: user.roles, sid: sessionId });
    return {
      access_token: access.token,
      token_type: 'Bearer',
      expires_in: access.expiresIn,
      refresh_token: refresh.token,
      refresh_expires_in: Math.min(c.refreshTokenTtlSeconds, c.sessionMaxSeconds),
      scope: user.roles.join(' '),
    };
  }

  private async recordFailure(
    reason: FailureReason,
    keys: ReturnType<typeof counterKeys>,
    user: UserRow | undefined,
    login: string,
    meta: RequestMeta,
  ): Promise<void> {
    const subject = user
      ? { userId: user.id, username: attemptedUsername(user.username) }
      : { username: attemptedUsername(login) };
    await this.db.tx(async (sql) => {
      const outcomes = await this.throttles.recordFailure(sql, keys, this.rules, Date.now());
      const account = outcomes.get('account')!;
      const events: EventEnvelope[] = [
        gatewayEvent('FAILED_AUTH_LOGIN', {
          subject,
          outcome: 'failure',
          reason,
          attributes: {
            attemptCount: account.blockedUntil
              ? this.config.lockoutThreshold + 1
              : Math.max(1, account.next.recent.length),
            ...(account.blockedUntil ? { lockedUntil: new Date(account.blockedUntil).toISOString() } : {}),
          },
          meta,
        }),
      ];
      if (account.blockedUntil && user) {
        events.push(
          gatewayEvent('ACCOUNT_LOCKED', {
            subject,
            outcome: 'success',
            reason: 'too_many_failures',
            attributes: {
              trigger: 'failed_logins',
              lockedUntil: new Date(account.blockedUntil).toISOString(),
            },
            meta,
          }),
        );
      }
      await this.outbox.append(sql, events);
    });
    this.outbox.written();
    gatewayMetrics().logins.add(1, { outcome: 'failure', reason });
  }

  private async rateLimited(
    scope: ThrottleScope,
    wait: number,
    state: Parameters<typeof rateLimitFields>[0],
    now: number,
    user: UserRow | undefined,
    login: string,
    meta: RequestMeta,
    route: string,
  ): Promise<RateLimitedException> {
    const event = gatewayEvent('RATE_LIMITED', {
      subject: user
        ? { userId: user.id, username: attemptedUsername(user.username) }
        : { username: attemptedUsername(login) },
      outcome: 'denied',
      reason: 'rate_limited',
      attributes: { route, scope, retryAfterSeconds: Math.min(wait, 86_400) },
      meta,
    });
    await this.outbox.append(this.db, [event]);
    this.outbox.written();
    gatewayMetrics().logins.add(1, { outcome: 'rate_limited', scope });
    const fields = rateLimitFields(state, now, this.rules[scope]);
    return new RateLimitedException(wait, { ...fields, windowSeconds: this.config.lockoutWindowSeconds });
  }
}
