import { Inject, Injectable } from '@nestjs/common';
import { decodeJwt } from 'jose';
import { REVOCATION_CHECK, TOKEN_VERIFIER, type RevocationCheck, type TokenVerifier } from '@vigil/auth';
import { SERVICE_CONFIG } from '@vigil/runtime';
import type { AuthGatewayConfig } from '../config';
import type { RequestMeta } from '../events/gateway-event.factory';
import { SessionsService } from '../sessions/sessions.service';
import { IMPLICIT_CLIENT_ID } from './oauth-clients';
import { OAuthError } from './oauth-errors';

/** RFC 7662 §2.2 introspection response; inactive tokens tell nothing but that. */
export type IntrospectionResponse =
  | { active: false }
  | {
      active: true;
      sub: string;
      exp: number;
      iat: number;
      scope: string;
      roles: string[];
      token_type: 'Bearer' | 'refresh_token';
      client_id?: string;
      username?: string;
      iss?: string;
      aud?: string | string[];
      jti?: string;
      sid?: string;
    };

const otherClient = () => new OAuthError('unauthorized_client', 'the token was issued to another client');

const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * Revocation (RFC 7009) and introspection (RFC 7662) of either kind of token: access tokens are
 * verified as any Vigil service verifies them (signature, issuer, audience, expiry) and then against
 * the session, refresh tokens are looked up by their SHA-256. `token_type_hint` only orders the
 * lookups (RFC 7009 §2.1): a wrong hint still finds the token.
 */
@Injectable()
export class TokenInspection {
  constructor(
    private readonly sessions: SessionsService,
    @Inject(TOKEN_VERIFIER) private readonly verifier: TokenVerifier,
    @Inject(REVOCATION_CHECK) private readonly revocation: RevocationCheck,
    @Inject(SERVICE_CONFIG) private readonly config: AuthGatewayConfig,
  ) {}

  /**
   * Ends the token's session (its refresh family with it); an unknown or invalid token changes
   * nothing. A token issued to another client is refused (RFC 7009 §2.1: the server verifies that
   * the token was issued to the client making the request).
   */
  async revoke(token: string, clientId: string, meta: RequestMeta): Promise<void> {
    if (JWT.test(token)) {
      const principal = await this.verifier.verify(token).catch(() => undefined);
      if (!principal?.sid) return;
      const issuedTo = decodeJwt(token).client_id ?? IMPLICIT_CLIENT_ID;
      if (issuedTo !== clientId) throw otherClient();
      await this.sessions.revokeSessionOf(principal.sub, principal.sid, meta);
      return;
    }
    if ((await this.sessions.revokeRefreshToken(token, clientId, meta)) === 'other_client')
      throw otherClient();
  }

  async introspect(token: string): Promise<IntrospectionResponse> {
    if (JWT.test(token)) return this.introspectAccessToken(token);
    const state = await this.sessions.introspectRefreshToken(token);
    if (!state?.active) return { active: false };
    return {
      active: true,
      sub: state.user_id,
      username: state.username,
      exp: Number(state.exp),
      iat: Number(state.iat),
      scope: state.roles.join(' '),
      roles: state.roles,
      token_type: 'refresh_token',
      iss: this.config.jwtIssuer,
      sid: state.session_id,
    };
  }

  private async introspectAccessToken(token: string): Promise<IntrospectionResponse> {
    const principal = await this.verifier.verify(token).catch(() => undefined);
    if (!principal) return { active: false };
    // The same checks as the gateway's own guard: session revoked, user deactivated or locked, roles changed.
    if (await this.revocation.isRevoked(principal, {}).catch(() => true)) return { active: false };
    const claims = decodeJwt(token);
    return {
      active: true,
      sub: principal.sub,
      exp: principal.exp,
      iat: principal.iat,
      scope: principal.roles.join(' '),
      roles: principal.roles,
      token_type: 'Bearer',
      ...(typeof claims.client_id === 'string' ? { client_id: claims.client_id } : {}),
      ...(claims.iss ? { iss: claims.iss } : {}),
      ...(claims.aud ? { aud: claims.aud } : {}),
      jti: principal.jti,
      ...(principal.sid ? { sid: principal.sid } : {}),
    };
  }
}
