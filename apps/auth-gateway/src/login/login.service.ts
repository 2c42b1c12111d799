import { BadRequestException, Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { normalizeUsername, type EventEnvelope } from '@vigil/contracts';
import { SERVICE_CONFIG } from '@vigil/runtime';
import { Db } from '@vigil/database';
import { hardLocked, UsersRepository, type UserRow } from '../accounts/users.repository';
import { UsersService } from '../accounts/users.service';
import type { AuthGatewayConfig } from '../config';
import { VIA_API } from '../database/database.module';
import { attemptedUsername, gatewayEvent, type RequestMeta } from '../events/gateway-event.factory';
import { invalidCredentials, passwordChangeRequired, RateLimitedException } from '../http/problems';
import { throttleKeyOf } from '../http/request-meta';
import { AccessTokenSigner, type TokenClient } from '../keys/access-token.signer';
import { rateLimitFields, refusalOf, rulesFrom, type ThrottleScope } from '../lockout/lockout.policy';
import { counterKeys, ThrottleRepository } from '../lockout/throttle.repository';
import { gatewayMetrics } from '../metrics/gateway.metrics';
import { OutboxWriter } from '../outbox/outbox.writer';
import { PASSWORD_FINGERPRINTS, type PasswordFingerprints } from '../passwords/password-fingerprint';
import { PasswordHasher } from '../passwords/password-hasher';
import { newRefreshToken } from '../sessions/refresh-tokens';
import { SessionsRepository } from '../sessions/sessions.repository';
import type { TokenResponse } from '../sessions/token-response';
import { MaintenanceModeService } from '../maintenance-mode/maintenance-mode.service';
import { IMPLICIT_CLIENT_ID } from '../oauth/oauth-clients';
import { LoginRepository } from './login.repository';

type FailureReason = 'unknown_user' | 'bad_password' | 'account_locked' | 'account_disabled';

/**
 * The failures whose cause is a wrong password: the ones a password fingerprint is computed for
 * (issue 19 item 1). Unknown names included (a spray tries names that may not exist); a locked or
 * deactivated account refused with its right password is not: that password must not leave.
 */
const WRONG_PASSWORD: ReadonlySet<FailureReason> = new Set(['unknown_user', 'bad_password']);

/**
 * Password login. Every failure (unknown user, wrong password, admin-locked, deactivated) does the
 * same work and gets the same 401: an Argon2 verify (against a dummy hash when there is no user),
 * one counting transaction, one event. Waits come first and are announced (429, Retry-After, no
 * password check): per IP, per (account, IP), then account-wide after more than 5 failures in 10
 * minutes by default. The account-wide wait does not apply from an address the account logged in
 * from recently, so an attacker cannot keep the owner out; unknown usernames are counted and
 * answered exactly like real ones. A wrong password's FAILED_AUTH_LOGIN carries its keyed
 * fingerprint (passwords/password-fingerprint.ts) for cross-account spray detection.
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
    private readonly users: UsersService,
    private readonly userRows: UsersRepository,
    private readonly sessionRows: SessionsRepository,
    private readonly maintenance: MaintenanceModeService,
    @Inject(PASSWORD_FINGERPRINTS) private readonly fingerprints: PasswordFingerprints,
    @Inject(SERVICE_CONFIG) private readonly config: AuthGatewayConfig,
  ) {
    this.rules = rulesFrom(config);
  }

  /** `client`: the OAuth client the tokens are issued to (token endpoint), if any. */
  async login(
    username: string,
    password: string,
    meta: RequestMeta,
    route: string,
    client?: TokenClient,
  ): Promise<TokenResponse> {
    const { user, accountKey, clientKey } = await this.verifyCredentials(username, password, meta, route);
    // Maintenance (seed 004-34): after the usual checks, so the answer tells no more than a login does.
    if (!user.roles.includes('admin')) await this.maintenance.assertOpen();
    if (user.must_reset_password) throw await this.passwordChangeRequired(user, meta);
    return this.succeed(user, password, meta, accountKey, clientKey, client);
  }

  /**
   * A user changes their own password by proving the current one (the way out of a forced reset,
   * seed 000-44): the same waits, checks and failure accounting as a login, then the new password
   * (policy-checked, not the current one) replaces it, every other session ends, and the answer is
   * a fresh login with the new password.
   */
  async changePassword(
    username: string,
    currentPassword: string,
    newPassword: string,
    meta: RequestMeta,
    route: string,
  ): Promise<TokenResponse> {
    const { user, accountKey, clientKey } = await this.verifyCredentials(
      username,
      currentPassword,
      meta,
      route,
    );
    if (newPassword === currentPassword) {
      throw new BadRequestException({
        type: 'https://vigil.dev/problems/password-unchanged',
        title: 'Bad Request',
        detail: 'the new password must differ from the current one',
      });
    }
    this.users.assertPasswordAcceptable(newPassword, user.username, user.email);
    const hash = await this.hasher.hash(newPassword);
    const changed = await this.db.tx(async (sql) => {
      const revoked = await this.sessionRows.revoke(sql, user.id, undefined, 'password_changed');
      const row = await this.userRows.setPassword(sql, user.id, hash, false);
      const actor = { userId: user.id, roles: user.roles };
      await this.outbox.append(sql, [
        ...(revoked > 0
          ? [
              gatewayEvent('TOKEN_REVOKED', {
                actor,
                subject: { userId: user.id },
                outcome: 'success',
                reason: 'password_changed',
                attributes: { scope: 'all_sessions', trigger: 'user', revokedCount: revoked },
                meta,
              }),
            ]
          : []),
        gatewayEvent('PASSWORD_CHANGED', {
          actor,
          subject: { userId: user.id },
          outcome: 'success',
          attributes: { trigger: 'self_service', mustReset: false, sessionsRevoked: revoked },
          meta,
        }),
      ]);
      return row;
    }, VIA_API);
    this.outbox.written();
    return this.succeed({ ...changed }, newPassword, meta, accountKey, clientKey);
  }

  /**
   * Throttles first (429, no password check), then the password: every failure does the same work
   * and gets the same 401. Resolves with the user only when the password is right and the account
   * may log in.
   */
  private async verifyCredentials(
    username: string,
    password: string,
    meta: RequestMeta,
    route: string,
  ): Promise<{ user: UserRow; accountKey: string; clientKey: string }> {
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
      const fingerprint = WRONG_PASSWORD.has(reason) ? this.fingerprints.fingerprint(password) : undefined;
      await this.recordFailure(reason, keys, user, login, meta, fingerprint);
      throw invalidCredentials();
    }
    return { user: user!, accountKey, clientKey };
  }

  /**
   * The right password for an account that must choose a new one (seed 000-44): no session, a 403
   * that says what to do, and a FAILED_AUTH_LOGIN (denied, password_reset_required). Not counted as
   * a failure: the password was right.
   */
  private async passwordChangeRequired(user: UserRow, meta: RequestMeta) {
    await this.outbox.append(this.db, [
      gatewayEvent('FAILED_AUTH_LOGIN', {
        subject: { userId: user.id, username: attemptedUsername(user.username) },
        outcome: 'denied',
        reason: 'password_reset_required',
        attributes: {},
        meta,
      }),
    ]);
    this.outbox.written();
    gatewayMetrics().logins.add(1, { outcome: 'failure', reason: 'password_reset_required' });
    return passwordChangeRequired();
  }

  private async succeed(
    user: UserRow,
    password: string,
    meta: RequestMeta,
    accountKey: string,
    clientKey: string,
    client?: TokenClient,
  ): Promise<TokenResponse> {
    const sessionId = randomUUID();
    const refresh = newRefreshToken();
    const event = gatewayEvent('AUTH_LOGIN', {
      actor: { userId: user.id, roles: user.roles },
      subject: { userId: user.id, username: attemptedUsername(user.username) },
      outcome: 'success',
      attributes: { sessionId, familyId: sessionId, ...(client ? { clientId: client.clientId } : {}) },
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
      clientId: client?.clientId ?? IMPLICIT_CLIENT_ID,
      event,
    });
    this.outbox.written();
    gatewayMetrics().logins.add(1, { outcome: 'success' });
    const access = await this.signer.sign({ sub: user.id, roles: user.roles, sid: sessionId }, client);
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
    passwordFingerprint: string | undefined,
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
            ...(passwordFingerprint !== undefined ? { passwordFingerprint } : {}),
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
