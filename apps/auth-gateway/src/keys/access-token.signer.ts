import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { ACCESS_TOKEN_TYP } from '@vigil/auth';
import { SERVICE_CONFIG } from '@vigil/runtime';
import type { AuthGatewayConfig } from '../config';
import { KeyStore, type SigningAlg } from './key-store';

/** Whom a token is issued to: the OAuth client and the algorithm its registration asks for. */
export interface TokenClient {
  clientId: string;
  alg?: SigningAlg;
}

export interface IssuedAccessToken {
  token: string;
  jti: string;
  expiresIn: number;
}

/** Signs short-lived access tokens (RFC 9068 `at+jwt`) with the store's current key, `kid` in the header. */
@Injectable()
export class AccessTokenSigner {
  constructor(
    private readonly keys: KeyStore,
    @Inject(SERVICE_CONFIG) private readonly config: AuthGatewayConfig,
  ) {}

  /**
   * `client` (RFC 9068 §2.2 client_id) names the OAuth client the token is issued to; its
   * registration may ask for another algorithm than the default (ES256 beside EdDSA).
   */
  async sign(
    claims: { sub: string; roles: string[]; sid: string },
    client?: TokenClient,
  ): Promise<IssuedAccessToken> {
    const key = this.keys.signingKey(Date.now(), client?.alg);
    const now = Math.floor(Date.now() / 1000);
    const jti = randomUUID();
    const ttl = this.config.accessTokenTtlSeconds;
    const token = await new SignJWT({
      roles: claims.roles,
      sid: claims.sid,
      ...(client ? { client_id: client.clientId } : {}),
    })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: ACCESS_TOKEN_TYP })
      .setSubject(claims.sub)
      .setJti(jti)
      .setIssuer(this.config.jwtIssuer)
      .setAudience(this.config.jwtAudience)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + ttl)
      .sign(key.privateKey);
    return { token, jti, expiresIn: ttl };
  }
}
